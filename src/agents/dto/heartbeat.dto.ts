import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { AGENT_STATUSES, AgentStatus } from '../entities/agent.entity';

export class HeartbeatDto {
  @ApiPropertyOptional({
    enum: AGENT_STATUSES,
    default: 'active',
    description: 'The state the agent reports; routing picks only active agents',
  })
  @IsOptional()
  @IsIn(AGENT_STATUSES)
  status?: AgentStatus;
}

/** The request example of the OpenAPI document. */
export const HEARTBEAT_EXAMPLE: HeartbeatDto = { status: 'active' };

export class HeartbeatResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: AGENT_STATUSES }) status: AgentStatus;
  @ApiProperty({ format: 'date-time' }) lastHeartbeat: string;
}
