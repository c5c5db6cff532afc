import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { TASK_STATUSES, TaskStatus } from '../entities/task.entity';

const LAST_EVENT_ID_DESCRIPTION =
  'Resume after this event id, for clients that cannot set the Last-Event-ID header (the header ' +
  'wins when both are sent)';

/** GET /api/v1/tasks/:id/events */
export class TaskEventStreamQueryDto {
  @ApiPropertyOptional({ pattern: '^[0-9]+$', description: LAST_EVENT_ID_DESCRIPTION })
  @IsOptional()
  @IsString()
  lastEventId?: string;
}

/** GET /api/v1/tasks/events */
export class OwnerEventStreamQueryDto extends TaskEventStreamQueryDto {
  @ApiPropertyOptional({
    enum: TASK_STATUSES,
    description: "Events after which the task is in this state only (the event's status)",
  })
  @IsOptional()
  @IsIn(TASK_STATUSES)
  status?: TaskStatus;

  @ApiPropertyOptional({ maxLength: 100, description: 'Events of tasks of this type only' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  taskType?: string;
}
