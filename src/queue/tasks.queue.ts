import type { AdvancedSettings, JobOptions } from 'bull';
import { AppConfig } from '../config/app-config';
import { TaskPriority } from '../tasks/entities/task.entity';

/** Every queue of the application, by name. */
export const QueueName = { Tasks: 'tasks' } as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

/** What a tasks job carries: the task id and the fields that never change, for routing. */
export interface TaskJobData {
  taskId: string;
  ownerId: string;
  taskType: string;
  requestedAgentId: string | null;
  /** The task's per-attempt timeout; the configured default when null. */
  timeoutMs: number | null;
  /**
   * The task's job generation when the job was added: a job whose generation is no longer the
   * task's (the task waited for an agent and was queued again since) runs nothing. Jobs added
   * before generations existed carry none, which is 0.
   */
  jobGeneration?: number;
}

/** The task fields a job's name and options are derived from. */
export interface QueueableTask {
  id: string;
  priority: TaskPriority;
  attempts: number;
  maxAttempts: number;
  /** The attempts made before the latest retry: the current run's budget starts there. */
  attemptsBase: number;
  jobGeneration: number;
  /** Not dispatched before then; null: at once. */
  runAt: Date | null;
}

/**
 * The id of a task's job: the task id for its first job, `<task id>.<generation>` for the job that
 * queues it again after each wait for an agent. A task has one live job; adding the same
 * generation twice (API and reconciler) is a no-op.
 */
export function taskJobId(task: Pick<QueueableTask, 'id' | 'jobGeneration'>): string {
  return task.jobGeneration === 0 ? task.id : `${task.id}.${task.jobGeneration}`;
}

/** Bull: 1 is the highest priority. */
export const PRIORITY_RANK: Record<TaskPriority, number> = {
  critical: 1,
  high: 2,
  normal: 3,
  low: 4,
};

export const DOUBLING_BACKOFF = 'doubling';

export interface DoublingBackoffOptions {
  baseMs: number;
}

/**
 * What a job fails with: the task's error message as the API shows it (errorMessage), which is
 * what Bull stores as the job's failedReason and Bull Board shows. No stack: Bull would store it
 * with the job (stacktrace), and it says nothing about the task but where the worker's files are.
 */
export class JobFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobFailure';
    this.stack = undefined;
  }
}

/**
 * Thrown by the processor for a retryable failure. `attempt` is the task's attempt number (it
 * survives a job being re-created by the reconciler, unlike Bull's attemptsMade).
 */
export class RetryableAttemptError extends JobFailure {
  constructor(
    message: string,
    readonly attempt: number,
  ) {
    super(message);
    this.name = 'RetryableAttemptError';
  }
}

/**
 * docs/agent-protocol.md: attempt n waits base * 2^(n-1) before the next one, so the gaps are base, 2 base, 4 base.
 * Bull's built-in "exponential" waits (2^n - 1) * delay instead, hence this strategy.
 */
export function doublingBackoff(
  attemptsMade: number,
  error: unknown,
  options: DoublingBackoffOptions | null,
): number {
  const attempt = error instanceof RetryableAttemptError ? error.attempt : attemptsMade;
  const baseMs = options?.baseMs ?? 1000;
  return baseMs * 2 ** (Math.max(1, attempt) - 1);
}

const FAILED_JOB_RETENTION_S = 7 * 24 * 3600;
const FAILED_JOBS_KEPT = 10_000;
/** Completed jobs stay for Bull Board this long, and at most this many (README, "Bull Board"). */
export const COMPLETED_JOB_RETENTION_S = 24 * 3600;
export const COMPLETED_JOBS_KEPT = 1000;

interface QueueDefinition<Input> {
  /** Queue-wide Bull settings (locks, stall detection, backoff strategies). */
  settings(config: AppConfig): AdvancedSettings;
  /** The options of one job: producers never build job options themselves. */
  jobOptions(input: Input, config: AppConfig): JobOptions;
}

/** Settings of every queue in one typed record: a queue without settings does not compile. */
export const QUEUES: { [QueueName.Tasks]: QueueDefinition<QueueableTask> } = {
  [QueueName.Tasks]: {
    settings: (config) => ({
      lockDuration: config.tasks.lockDurationMs,
      // A dead worker's job is noticed within one lock duration after its lock lapses.
      stalledInterval: config.tasks.lockDurationMs,
      maxStalledCount: 1,
      backoffStrategies: { [DOUBLING_BACKOFF]: doublingBackoff },
    }),
    jobOptions: (task, config) => ({
      // One id per task and generation: adding a task twice (API and reconciler) is a no-op.
      jobId: taskJobId(task),
      // Bull's count of attempts is kept in step with the task's (TaskQueue.showAttempt), so that
      // Bull Board numbers them as the API does: the job's budget is the task's whole budget,
      // counted on from the attempts of the runs before its latest retry.
      attempts: task.attemptsBase + task.maxAttempts,
      backoff: {
        type: DOUBLING_BACKOFF,
        options: { baseMs: config.tasks.backoffBaseMs } satisfies DoublingBackoffOptions,
      },
      priority: PRIORITY_RANK[task.priority],
      // A task not to run before runAt waits as a delayed job; re-added, for what is left of it.
      ...(task.runAt ? { delay: Math.max(0, task.runAt.getTime() - Date.now()) } : {}),
      // Kept for Bull Board, within bounds; a job that ends with its task waiting for an agent
      // is removed at once (TaskRunner).
      removeOnComplete: { age: COMPLETED_JOB_RETENTION_S, count: COMPLETED_JOBS_KEPT },
      // Failed jobs stay for inspection in Bull Board, within bounds so Redis does not grow
      // forever: the task row and its attempts keep the full history in PostgreSQL.
      removeOnFail: { age: FAILED_JOB_RETENTION_S, count: FAILED_JOBS_KEPT },
    }),
  },
};
