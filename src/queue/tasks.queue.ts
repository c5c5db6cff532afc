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

/** The task fields job options are derived from. */
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
 * Thrown by the processor for a retryable failure. `attempt` is the task's attempt number (it
 * survives a job being re-created by the reconciler, unlike Bull's attemptsMade).
 */
export class RetryableAttemptError extends Error {
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
      // Attempts already made in this run (before a reconciler re-queue) count against its budget.
      attempts: Math.max(1, task.maxAttempts - (task.attempts - task.attemptsBase)),
      backoff: {
        type: DOUBLING_BACKOFF,
        options: { baseMs: config.tasks.backoffBaseMs } satisfies DoublingBackoffOptions,
      },
      priority: PRIORITY_RANK[task.priority],
      // A task not to run before runAt waits as a delayed job; re-added, for what is left of it.
      ...(task.runAt ? { delay: Math.max(0, task.runAt.getTime() - Date.now()) } : {}),
      removeOnComplete: true,
      // Failed jobs stay for inspection in Bull Board, within bounds so Redis does not grow
      // forever: the task row and its attempts keep the full history in PostgreSQL.
      removeOnFail: { age: FAILED_JOB_RETENTION_S, count: FAILED_JOBS_KEPT },
    }),
  },
};
