import { InjectQueue } from '@nestjs/bull';
import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import type { Job, Queue } from 'bull';
import { AppConfig } from '../config/app-config';
import { TaskRunner } from './task-runner.service';
import { JobFailure, QueueName, TaskJobData } from '../queue/tasks.queue';

/** Bull's name for a handler of every job name. */
const ANY_JOB_NAME = '*';

/** How long a stopping worker lets in-flight dispatches finish before it aborts them. */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * The tasks queue's worker (the execution module runs only where APP_ROLE runs workers). Thin: each
 * job is one attempt of TaskRunner.
 */
@Injectable()
export class TasksProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(TasksProcessor.name);

  constructor(
    @InjectQueue(QueueName.Tasks) private readonly queue: Queue<TaskJobData>,
    private readonly runner: TaskRunner,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.tolerateUnnamedWorker();
    // Concurrency comes from configuration, which a @Process() decorator cannot read. Jobs are
    // named by their task type: one handler takes every name.
    this.queue
      .process(ANY_JOB_NAME, this.config.tasks.workerConcurrency, (job) => this.run(job))
      .catch((error: unknown) => this.logger.error({ err: error }, 'Task worker stopped'));
  }

  /**
   * One attempt. A failure of the attempt is the task's error message already (JobFailure); any
   * other (the database failed, a bug) is logged here with its stack, and the job fails with a
   * message that says where to look, not with the stack and its paths, which Bull would store.
   */
  private async run(job: Job<TaskJobData>): Promise<void> {
    try {
      await this.runner.run(job);
    } catch (error) {
      if (error instanceof JobFailure) throw error;
      this.logger.error({ err: error, taskId: job.data.taskId }, 'A task attempt failed');
      throw new JobFailure(
        "the worker failed before the attempt was recorded; it is retried (see the worker's log)",
      );
    }
  }

  /**
   * process() names the worker's blocking Redis connection (CLIENT SETNAME, which getWorkers and
   * Bull Board read) through queue.setWorkerName() without handling the outcome: a queue closed
   * before Redis answers, as in a process stopped right after it started, made that an unhandled
   * rejection ("Connection is closed"). The name is informational, so failing to set it is let go.
   * Wrapping the method is the one place the outcome can be handled: Bull calls it on every
   * process() whatever the connection options say, emits no 'error' event for it, and awaiting
   * queue.isReady() first leaves the window open (the connection it names is opened later): of 40
   * quick start-stop cycles on a real Redis, 6-10 left the rejection unhandled with or without
   * isReady, none with this wrapper.
   */
  private tolerateUnnamedWorker(): void {
    const setWorkerName = this.queue.setWorkerName.bind(this.queue);
    this.queue.setWorkerName = () =>
      setWorkerName().catch((error: unknown) =>
        this.logger.debug({ err: error }, 'Worker connection left unnamed'),
      );
  }

  /**
   * SIGTERM: take no new job, let the running ones finish (or abort them after a grace period so
   * that they are retried elsewhere), before the queue and the database pool close.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.race([
      // Not waited for longer than 2 s: with Redis unreachable, pausing would wait for it.
      this.queue.pause(true, true).catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    await this.runner.drain(SHUTDOWN_GRACE_MS);
  }
}
