import { InjectQueue } from '@nestjs/bull';
import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import type { Queue } from 'bull';
import { AppConfig } from '../config/app-config';
import { TaskRunner } from './task-runner.service';
import { QueueName, TaskJobData } from './tasks.queue';

/** How long a stopping worker lets in-flight dispatches finish before it aborts them. */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * The tasks queue's worker, registered only in processes whose APP_ROLE runs workers. Thin: each
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
    // Concurrency comes from configuration, which a @Process() decorator cannot read.
    this.queue
      .process(this.config.tasks.workerConcurrency, (job) => this.runner.run(job))
      .catch((error: unknown) => this.logger.error({ err: error }, 'Task worker stopped'));
  }

  /**
   * SIGTERM: take no new job, let the running ones finish (or abort them after a grace period so
   * that they are retried elsewhere), before the queue and the database pool close.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.race([
      // A queue still connecting when the process stops (it stops right after starting) is let
      // finish connecting first: pausing and closing it mid-connect fails with "Connection is
      // closed" (OptimalBits/bull#2801).
      this.queue
        .isReady()
        .then(() => this.queue.pause(true, true))
        .catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 2000).unref()),
    ]);
    await this.runner.drain(SHUTDOWN_GRACE_MS);
  }
}
