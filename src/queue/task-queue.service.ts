import { InjectQueue } from '@nestjs/bull';
import { Injectable, Logger } from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { withDeadline } from '../common/async/deadline';
import { AppConfig } from '../config/app-config';
import { boundQueueClose } from './bounded-close';
import { QueueableTask, QueueName, QUEUES, TaskJobData, taskJobId } from './tasks.queue';

const REDIS_DEADLINE_MS = 2000;

export type EnqueueableTask = QueueableTask & Omit<TaskJobData, 'taskId' | 'jobGeneration'>;

/** What names a task's current job. */
export type TaskJobRef = Pick<QueueableTask, 'id' | 'jobGeneration'>;

/** Where a task's job is, as far as the reconciler is concerned. */
export type JobPresence =
  /** No job (never added, Redis flushed) or a job that will never run again (failed, completed). */
  | 'missing'
  /** Waiting, delayed or paused: it will run. */
  | 'queued'
  /** Being processed by a worker that still holds its lock. */
  | 'running'
  /** Active but its lock lapsed: its worker died; Bull's stalled-job check will run it again. */
  | 'stalled';

/** A Redis call answered by then, or treated as failed: Redis is probably down. */
function inTime<T>(promise: Promise<T>, what: string): Promise<T> {
  return withDeadline(promise, REDIS_DEADLINE_MS, `Redis (${what})`);
}

/** What a task's job carries. */
function taskJobData(task: EnqueueableTask): TaskJobData {
  return {
    taskId: task.id,
    ownerId: task.ownerId,
    taskType: task.taskType,
    requestedAgentId: task.requestedAgentId,
    timeoutMs: task.timeoutMs,
    jobGeneration: task.jobGeneration,
  };
}

/** The producer side of the tasks queue: the only code that adds, inspects or removes its jobs. */
@Injectable()
export class TaskQueue {
  private readonly logger = new Logger(TaskQueue.name);

  constructor(
    @InjectQueue(QueueName.Tasks) private readonly queue: Queue<TaskJobData>,
    private readonly config: AppConfig,
  ) {
    // Every role has this producer, so every process closes the queue within a bound.
    boundQueueClose(queue);
  }

  /**
   * Adds the task's job (a no-op when it exists: the job id is the task id and generation). False
   * when Redis could not take it; the task row is committed already and the reconciler will queue
   * it later.
   */
  async enqueue(task: EnqueueableTask): Promise<boolean> {
    try {
      await inTime(
        this.queue.add(
          // Named by the task type, which is what Bull Board lists jobs by.
          task.taskType,
          taskJobData(task),
          QUEUES[QueueName.Tasks].jobOptions(task, this.config),
        ),
        'enqueue',
      );
      return true;
    } catch (error) {
      this.logger.warn(
        { err: error, taskId: task.id },
        'Could not queue the task; the reconciler will queue it once Redis is reachable',
      );
      return false;
    }
  }

  /** Replaces a job that will never run (failed, completed, half-flushed) with a fresh one. */
  async requeue(task: EnqueueableTask): Promise<boolean> {
    const job = await inTime(this.queue.getJob(taskJobId(task)), 'getJob');
    if (job) await inTime(job.remove(), 'remove');
    return this.enqueue(task);
  }

  async presence(task: TaskJobRef): Promise<JobPresence> {
    const jobId = taskJobId(task);
    const job = await inTime(this.queue.getJob(jobId), 'getJob');
    if (!job) return 'missing';
    const state = await inTime(job.getState(), 'getState');
    if (state === 'waiting' || state === 'delayed' || state === 'paused') return 'queued';
    if (state === 'active') {
      const locked = await inTime(
        this.queue.client.exists(`${this.queue.toKey(jobId)}:lock`),
        'lock check',
      );
      return locked ? 'running' : 'stalled';
    }
    return 'missing';
  }

  /**
   * Numbers the job's attempts as the task's, once the task's attempt number `attempt` has
   * started. Bull counts a job's own failures (attemptsMade), from 0 in every job re-created for
   * the task, and Bull Board shows that count plus one as "attempt #n": stored as `attempt - 1`,
   * the board shows the task's number, running, completed, waiting for a retry or failed. The job's
   * copy is set one lower still, so that Bull, counting this attempt's failure if it fails, stores
   * `attempt - 1` too. Best effort: it is only what the board shows.
   */
  async showAttempt(job: Job<TaskJobData>, attempt: number): Promise<void> {
    const stored = attempt - 1;
    const differs = job.attemptsMade !== stored;
    job.attemptsMade = stored - 1;
    if (!differs) return;
    try {
      await inTime(
        this.queue.client.hset(this.queue.toKey(String(job.id)), 'attemptsMade', stored),
        'attempt number',
      );
    } catch (error) {
      this.logger.debug({ err: error, jobId: job.id }, 'Could not number the attempt of a job');
    }
  }

  /** Takes a cancelled task's job out of the queue unless a worker holds it (best effort). */
  async discard(task: TaskJobRef): Promise<void> {
    const taskId = task.id;
    try {
      const job = await inTime(this.queue.getJob(taskJobId(task)), 'getJob');
      if (job && !(await inTime(job.isActive(), 'isActive'))) {
        await inTime(job.remove(), 'remove');
      }
    } catch (error) {
      // The worker skips cancelled tasks anyway; this only saves it the trip.
      this.logger.debug({ err: error, taskId }, 'Could not remove the job of a cancelled task');
    }
  }
}
