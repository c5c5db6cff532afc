import { getQueueToken } from '@nestjs/bull';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Queue } from 'bull';
import type { Gauge } from 'prom-client';
import { withDeadline } from '../common/async/deadline';
import { QueueName } from '../queue/tasks.queue';
import { Metric } from './metric-definitions';

/** A scrape never waits longer than this for Redis: Prometheus' own timeout is 10 s by default. */
const COUNTS_DEADLINE_MS = 1000;

/** Bull's job states, as getJobCounts() reports them (paused too, though Bull 4's type omits it). */
const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'paused'] as const;
type QueueState = (typeof STATES)[number];

/**
 * bull_queue_jobs{queue,state}: the jobs of each queue by state, read from Redis at scrape time in
 * every role (api processes see the backlog they produce, workers what they consume). The queue
 * lives in Redis, so every process reports the same figures: aggregate with max(), not sum().
 * When Redis does not answer in time the series are dropped from that scrape rather than
 * reported stale (the health check names Redis and the queue).
 */
@Injectable()
export class QueueMetrics implements OnModuleInit {
  private readonly logger = new Logger(QueueMetrics.name);
  private queues: Queue[] = [];

  constructor(
    private readonly moduleRef: ModuleRef,
    @InjectMetric(Metric.QueueJobs) private readonly jobs: Gauge<'queue' | 'state'>,
  ) {}

  /** The queues are registered by their feature modules (tasks), resolved once all exist. */
  onModuleInit(): void {
    this.queues = Object.values(QueueName).map((name) =>
      this.moduleRef.get<Queue>(getQueueToken(name), { strict: false }),
    );
  }

  /** Sets the gauges from Redis; called just before a scrape is serialised. */
  async refresh(): Promise<void> {
    const counts = await Promise.all(
      this.queues.map(async (queue) => {
        try {
          return await withDeadline(queue.getJobCounts(), COUNTS_DEADLINE_MS, 'Bull getJobCounts');
        } catch (error) {
          this.logger.warn(
            { err: error, queue: queue.name },
            'Could not read the queue job counts',
          );
          return undefined;
        }
      }),
    );
    this.jobs.reset();
    this.queues.forEach((queue, index) => {
      const byState: Partial<Record<QueueState, number>> | undefined = counts[index];
      if (!byState) return;
      for (const state of STATES) {
        this.jobs.set({ queue: queue.name, state }, Number(byState[state] ?? 0));
      }
    });
  }
}
