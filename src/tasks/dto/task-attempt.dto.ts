import { ApiProperty } from '@nestjs/swagger';
import { ATTEMPT_OUTCOMES, AttemptOutcome, TaskAttempt } from '../entities/task-attempt.entity';

export class TaskAttemptDto {
  @ApiProperty({ minimum: 1 }) number: number;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) agentId: string | null;
  @ApiProperty({ format: 'date-time' }) startedAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finishedAt: string | null;
  @ApiProperty({
    enum: ATTEMPT_OUTCOMES,
    nullable: true,
    description:
      'null while the attempt is running; cancelled: the owner cancelled the task while it ran; ' +
      'interrupted: the worker stopped or died before the agent answered (retried like a ' +
      'retryable_error)',
  })
  outcome: AttemptOutcome | null;
  @ApiProperty({ nullable: true, type: Number, description: "The agent's HTTP status, if any" })
  httpStatus: number | null;
  @ApiProperty({ nullable: true, type: String }) error: string | null;

  static from(this: void, attempt: TaskAttempt): TaskAttemptDto {
    return {
      number: attempt.number,
      agentId: attempt.agentId,
      startedAt: attempt.startedAt.toISOString(),
      finishedAt: attempt.finishedAt?.toISOString() ?? null,
      outcome: attempt.outcome,
      httpStatus: attempt.httpStatus,
      error: attempt.error,
    };
  }
}

/** Every attempt of a task, oldest first. */
export class TaskAttemptListDto {
  @ApiProperty({ type: [TaskAttemptDto] }) items: TaskAttemptDto[];
}
