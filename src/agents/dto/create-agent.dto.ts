import { IsOptional, ValidateIf } from 'class-validator';
import { JsonObject } from '../../common/json';
import { AgentProtocol } from '../entities/agent.entity';
import {
  CapabilitiesField,
  ConfigField,
  DescriptionField,
  EXAMPLE_AGENT_CONFIG,
  EXAMPLE_ENDPOINT_URL,
  EndpointUrlField,
  MaxConcurrencyField,
  NameField,
  ProtocolField,
} from './agent-fields';

export class CreateAgentDto {
  @NameField(true)
  name: string;

  @IsOptional()
  @DescriptionField()
  description?: string | null;

  // An a2a agent may leave them out: its card's skill ids are taken (docs/agent-protocol.md).
  @ValidateIf((dto: CreateAgentDto) => dto.protocol !== 'a2a' || dto.capabilities !== undefined)
  @CapabilitiesField(
    false,
    '. Required, except for protocol "a2a", where leaving them out takes the skill ids of the agent card',
  )
  capabilities?: string[];

  @EndpointUrlField(true)
  endpointUrl: string;

  @IsOptional()
  @ProtocolField()
  protocol?: AgentProtocol;

  @IsOptional()
  @MaxConcurrencyField()
  maxConcurrency?: number;

  @IsOptional()
  @ConfigField()
  config?: JsonObject;
}

/** The request example of the OpenAPI document: valid as it is, so Swagger UI's try-out succeeds. */
export const CREATE_AGENT_EXAMPLE: CreateAgentDto = {
  name: 'summariser-eu-1',
  description: 'Summarises reports in the EU region',
  capabilities: ['summarize', 'translate'],
  endpointUrl: EXAMPLE_ENDPOINT_URL,
  protocol: 'http',
  maxConcurrency: 2,
  config: EXAMPLE_AGENT_CONFIG,
};
