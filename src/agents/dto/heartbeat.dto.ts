import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { AGENT_STATUSES, AgentStatus } from '../entities/agent.entity';

export class HeartbeatDto {
  @ApiPropertyOptional({ enum: AGENT_STATUSES, default: 'active' })
  @IsOptional()
  @IsIn(AGENT_STATUSES)
  status?: AgentStatus;
}

export class HeartbeatResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: AGENT_STATUSES }) status: AgentStatus;
  @ApiProperty({ format: 'date-time' }) lastHeartbeat: string;
}
