import { IsOptional } from 'class-validator';
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

export class CreateAgentDto {
  @NameField(true)
  name: string;

  @IsOptional()
  @DescriptionField()
  description?: string | null;

  @CapabilitiesField(true)
  capabilities: string[];

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
