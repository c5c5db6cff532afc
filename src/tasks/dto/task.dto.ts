import { ApiProperty } from '@nestjs/swagger';
import { JsonObject, JsonValue } from '../../common/json';
import {
  Task,
  TASK_PRIORITIES,
  TASK_STATUSES,
  TaskPriority,
  TaskStatus,
} from '../entities/task.entity';

/** A task as its owner sees it. */
export class TaskDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) ownerId: string;
  @ApiProperty({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'The agent that ran the latest attempt (until then, the agent the task names)',
  })
  agentId: string | null;
  @ApiProperty({ example: 'Summarise Q3 report' }) name: string;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ example: 'summarize' }) taskType: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) parameters: JsonObject;
  @ApiProperty({ enum: TASK_PRIORITIES }) priority: TaskPriority;
  @ApiProperty({ enum: TASK_STATUSES }) status: TaskStatus;
  @ApiProperty({
    nullable: true,
    description: 'What the agent answered as "result" (any JSON value) once completed',
  })
  result: JsonValue | null;
  @ApiProperty({ nullable: true, type: String, description: 'Why the latest attempt failed' })
  errorMessage: string | null;
  @ApiProperty({ minimum: 0, description: 'Attempts made so far' }) attempts: number;
  @ApiProperty({ minimum: 1, maximum: 10 }) maxAttempts: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) startedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) completedAt: string | null;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'Not dispatched before this time (runAt on create); null: at once',
  })
  runAt: string | null;

  static from(this: void, task: Task): TaskDto {
    return {
      id: task.id,
      ownerId: task.ownerId,
      agentId: task.agentId ?? task.requestedAgentId,
      name: task.name,
      description: task.description,
      taskType: task.taskType,
      parameters: task.parameters,
      priority: task.priority,
      status: task.status,
      result: task.result,
      errorMessage: task.errorMessage,
      attempts: task.attempts,
      maxAttempts: task.maxAttempts,
      createdAt: task.createdAt.toISOString(),
      updatedAt: task.updatedAt.toISOString(),
      startedAt: task.startedAt?.toISOString() ?? null,
      completedAt: task.completedAt?.toISOString() ?? null,
      runAt: task.runAt?.toISOString() ?? null,
    };
  }
}
