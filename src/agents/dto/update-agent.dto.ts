import { ValidateIf } from 'class-validator';
import { JsonObject } from '../../common/json';
import { AgentProtocol } from '../entities/agent.entity';
import {
  CapabilitiesField,
  ConfigField,
  DescriptionField,
  EndpointUrlField,
  MaxConcurrencyField,
  NameField,
  ProtocolField,
} from './agent-fields';

/** Only a property that is present is validated; null is refused except where a field may be empty. */
const IfPresent = () => ValidateIf((_object, value) => value !== undefined);

/** Any of the create fields; description may be null to clear it. */
export class UpdateAgentDto {
  @IfPresent()
  @NameField(false)
  name?: string;

  @ValidateIf((_object, value) => value !== undefined && value !== null)
  @DescriptionField()
  description?: string | null;

  @IfPresent()
  @CapabilitiesField(false)
  capabilities?: string[];

  @IfPresent()
  @EndpointUrlField(false)
  endpointUrl?: string;

  @IfPresent()
  @ProtocolField()
  protocol?: AgentProtocol;

  @IfPresent()
  @MaxConcurrencyField()
  maxConcurrency?: number;

  @IfPresent()
  @ConfigField()
  config?: JsonObject;
}

/** The request example of the OpenAPI document: a change any agent accepts. */
export const UPDATE_AGENT_EXAMPLE: UpdateAgentDto = {
  description: 'Summarises reports in the EU and the UK',
  maxConcurrency: 4,
};
