import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { ListQueryDto } from '../../common/pagination/list-query.dto';
import { TASK_STATUSES, TaskStatus } from '../entities/task.entity';

export class ListTasksDto extends ListQueryDto {
  @ApiPropertyOptional({ enum: TASK_STATUSES, description: 'Tasks in this state only' })
  @IsOptional()
  @IsIn(TASK_STATUSES)
  status?: TaskStatus;

  @ApiPropertyOptional({ maxLength: 100, description: 'Tasks of this type only' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  taskType?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Tasks whose latest attempt ran on it' })
  @IsOptional()
  @IsUUID()
  agentId?: string;
}
