import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { ListQueryDto } from '../../common/pagination/list-query.dto';
import { AGENT_STATUSES, AgentStatus } from '../entities/agent.entity';

export class ListAgentsDto extends ListQueryDto {
  @ApiPropertyOptional({ enum: AGENT_STATUSES, description: 'Agents in this state only' })
  @IsOptional()
  @IsIn(AGENT_STATUSES)
  status?: AgentStatus;

  @ApiPropertyOptional({ maxLength: 100, description: 'Agents whose capabilities contain this' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  capability?: string;
}
