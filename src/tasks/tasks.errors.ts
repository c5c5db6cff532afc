import { DomainError, ProblemTypes } from '../common/errors/domain-error';

export enum TasksErrorCode {
  TaskNotFound = 'task-not-found',
  TaskAlreadyFinished = 'task-already-finished',
  TaskNotRetryable = 'task-not-retryable',
  InvalidIdempotencyKey = 'invalid-idempotency-key',
  UnknownAgent = 'unknown-agent',
  InvalidLastEventId = 'invalid-last-event-id',
}

export const TASKS_PROBLEM_TYPES: ProblemTypes<TasksErrorCode> = {
  [TasksErrorCode.TaskNotFound]: {
    status: 404,
    title: 'Task not found',
    meaning: 'No such task, or it is not yours',
  },
  [TasksErrorCode.TaskAlreadyFinished]: {
    status: 409,
    title: 'Task already finished',
    meaning: 'The task already completed, failed or was cancelled, so it cannot be cancelled',
  },
  [TasksErrorCode.TaskNotRetryable]: {
    status: 409,
    title: 'Task not retryable',
    meaning:
      'Only a failed or cancelled task can be retried; this one is pending, running or completed',
  },
  [TasksErrorCode.InvalidIdempotencyKey]: {
    status: 400,
    title: 'Invalid Idempotency-Key',
    meaning: 'The Idempotency-Key header is not 1 to 200 visible ASCII characters',
  },
  [TasksErrorCode.UnknownAgent]: {
    status: 400,
    title: 'Unknown agent',
    meaning: 'The task names an agentId that is not one of your agents',
  },
  [TasksErrorCode.InvalidLastEventId]: {
    status: 400,
    title: 'Invalid Last-Event-ID',
    meaning:
      'Last-Event-ID (or lastEventId) is not the id of an event: a decimal integer from 0 up',
  },
};

export class TasksError extends DomainError<TasksErrorCode> {
  constructor(code: TasksErrorCode, message: string) {
    super(code, message, TASKS_PROBLEM_TYPES);
  }
}
