import { ApiProperty } from '@nestjs/swagger';
import { JsonObject } from '../../common/json';
import {
  AGENT_PROTOCOLS,
  AGENT_STATUSES,
  Agent,
  AgentProtocol,
  AgentStatus,
} from '../entities/agent.entity';

/** An agent as clients see it: never its signing secret. */
export class AgentDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) ownerId: string;
  @ApiProperty({ example: 'summariser-eu-1' }) name: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ type: [String], example: ['summarize'] }) capabilities: string[];
  @ApiProperty({ enum: AGENT_STATUSES }) status: AgentStatus;
  @ApiProperty({ format: 'uri' }) endpointUrl: string;
  @ApiProperty({ enum: AGENT_PROTOCOLS }) protocol: AgentProtocol;
  @ApiProperty({ minimum: 1, maximum: 1000 }) maxConcurrency: number;
  @ApiProperty({ type: 'object', additionalProperties: true }) config: JsonObject;
  @ApiProperty({
    minimum: 0,
    description: 'Tasks being dispatched to this agent right now (at most maxConcurrency)',
  })
  inFlight: number;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastHeartbeat: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;

  static from(this: void, agent: Agent): AgentDto {
    return {
      id: agent.id,
      ownerId: agent.ownerId,
      name: agent.name,
      description: agent.description,
      capabilities: agent.capabilities,
      status: agent.status,
      endpointUrl: agent.endpointUrl,
      protocol: agent.protocol,
      maxConcurrency: agent.maxConcurrency,
      config: agent.config,
      inFlight: agent.inFlight,
      lastHeartbeat: agent.lastHeartbeat?.toISOString() ?? null,
      createdAt: agent.createdAt.toISOString(),
      updatedAt: agent.updatedAt.toISOString(),
    };
  }
}

const SIGNING_SECRET_DESCRIPTION =
  'HMAC-SHA256 key the agent verifies X-Ymera-Signature with (docs/agent-protocol.md).';
const AGENT_TOKEN_DESCRIPTION =
  "The agent's bearer token for its own API (/api/v1/agent/...): Authorization: Bearer " +
  '<agentToken>. Works nowhere else.';

/** The agent's credentials, shown when they are issued and never again. */
export class AgentCredentialsDto {
  @ApiProperty({ description: `${SIGNING_SECRET_DESCRIPTION} Shown only when issued.` })
  signingSecret: string;

  @ApiProperty({
    example: 'ymra_q8Zt2LwX9cVb4NmK7pR1sD6fH3jG0aE5uY2iO8kT4wQ',
    description: `${AGENT_TOKEN_DESCRIPTION} Shown only when issued.`,
  })
  agentToken: string;
}

/** The create answer: the only time the agent's first credentials are shown. */
export class CreatedAgentDto extends AgentDto {
  @ApiProperty({ description: `${SIGNING_SECRET_DESCRIPTION} Shown only in this response.` })
  signingSecret: string;

  @ApiProperty({
    example: 'ymra_q8Zt2LwX9cVb4NmK7pR1sD6fH3jG0aE5uY2iO8kT4wQ',
    description: `${AGENT_TOKEN_DESCRIPTION} Shown only in this response.`,
  })
  agentToken: string;
}
