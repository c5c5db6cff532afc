import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { TASK_EVENT_TYPES } from '../../execution/task-events.service';
import { TASK_STATUSES, TaskStatus } from '../entities/task.entity';

/** What happened to a task: the JSON of an event stream message's `data` (taskEventJson). */
export class TaskEventDto {
  @ApiProperty({ format: 'uuid' }) taskId: string;
  @ApiProperty({ enum: TASK_EVENT_TYPES, example: 'task.completed' }) type: string;
  @ApiProperty({ format: 'date-time', description: 'When it happened (stored)' }) at: string;
  @ApiProperty({ enum: TASK_STATUSES, description: "The task's status after it" })
  status: TaskStatus;
  @ApiPropertyOptional({ minimum: 1, description: 'The attempt concerned, when one is' })
  attempt?: number;
  @ApiPropertyOptional({
    description:
      'By type: task.created {name, taskType, priority, runAt}; task.started {agentId}; ' +
      "task.progress the agent's report {message?, percent?, data?, at}; task.retrying " +
      '{outcome, error}; task.completed {result}; task.failed {error}; task.cancelled ' +
      '{previousStatus}; task.retried {attemptsBefore}',
    type: 'object',
    additionalProperties: true,
    example: { result: { summary: 'Revenue grew 12%' } },
  })
  data?: Record<string, unknown>;
}

/**
 * One message of an event stream, as the text/event-stream lines carry it (described as an array
 * of these: OpenAPI 3.1 has no schema for a stream's items).
 */
export class TaskEventMessageDto {
  @ApiProperty({
    pattern: '^[0-9]+$',
    example: '42',
    description:
      "The event's id, a decimal integer increasing across all of the owner's events: send the " +
      'last one seen as Last-Event-ID to resume after it',
  })
  id: string;
  @ApiProperty({ enum: TASK_EVENT_TYPES, description: 'The event name (its type)' })
  event: string;
  @ApiProperty({
    type: 'string',
    description: 'The event as one line of JSON',
    contentMediaType: 'application/json',
    contentSchema: { $ref: getSchemaPath(TaskEventDto) },
  } as Parameters<typeof ApiProperty>[0])
  data: string;
}
