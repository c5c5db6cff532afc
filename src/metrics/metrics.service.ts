import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { AppConfig } from '../config/app-config';
import { BoundedLabelValues } from './bounded-label';
import { Metric } from './metric-definitions';

export type TaskCountedStatus = 'created' | 'completed' | 'failed' | 'cancelled';
/** The outcome label of task_dispatch_duration_seconds: how the attempt the dispatch made ended. */
export type DispatchOutcomeLabel =
  'succeeded' | 'retryable_error' | 'permanent_error' | 'cancelled' | 'interrupted';

const DISPATCH_OUTCOME_LABELS: readonly DispatchOutcomeLabel[] = [
  'succeeded',
  'retryable_error',
  'permanent_error',
  'cancelled',
  'interrupted',
];

/** The outcome label of webhook_deliveries_total. */
export type WebhookOutcomeLabel = 'succeeded' | 'failed';

const WEBHOOK_OUTCOME_LABELS: readonly WebhookOutcomeLabel[] = ['succeeded', 'failed'];

type HttpLabels = 'method' | 'route' | 'status';

/**
 * What the rest of the application counts: HTTP requests, tasks, dispatch attempts, task event
 * streams, webhook deliveries.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  private readonly taskTypes: BoundedLabelValues;

  constructor(
    @InjectMetric(Metric.HttpRequests) private readonly httpRequests: Counter<HttpLabels>,
    @InjectMetric(Metric.HttpDuration) private readonly httpDuration: Histogram<HttpLabels>,
    @InjectMetric(Metric.Tasks) private readonly tasks: Counter<'status' | 'type'>,
    @InjectMetric(Metric.DispatchDuration)
    private readonly dispatchDuration: Histogram<'outcome'>,
    @InjectMetric(Metric.TaskEventStreams) private readonly eventStreams: Gauge,
    @InjectMetric(Metric.TaskEventDeliveryLag) private readonly eventLag: Histogram,
    @InjectMetric(Metric.TaskEventStreamsCut) private readonly eventStreamsCut: Counter,
    @InjectMetric(Metric.WebhookDeliveries)
    private readonly webhookDeliveries: Counter<'outcome'>,
    config: AppConfig,
  ) {
    this.taskTypes = new BoundedLabelValues(config.metrics.maxTaskTypes);
  }

  /**
   * Every outcome has a series from the start, so rate() over it is 0 rather than absent. Only
   * missing series are created: another app of the same process may have observed some already.
   */
  async onModuleInit(): Promise<void> {
    const { values } = await this.dispatchDuration.get();
    const present = new Set(values.map((value) => value.labels.outcome));
    for (const outcome of DISPATCH_OUTCOME_LABELS) {
      if (!present.has(outcome)) this.dispatchDuration.zero({ outcome });
    }
    const webhooks = await this.webhookDeliveries.get();
    const counted = new Set(webhooks.values.map((value) => value.labels.outcome));
    for (const outcome of WEBHOOK_OUTCOME_LABELS) {
      if (!counted.has(outcome)) this.webhookDeliveries.inc({ outcome }, 0);
    }
  }

  /** One answered HTTP request; `route` is the route template, never the raw path. */
  httpObserved(method: string, route: string, status: number, seconds: number): void {
    const labels = { method, route, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }

  /** A task was created or reached a final status. */
  taskCounted(status: TaskCountedStatus, type: string): void {
    this.tasks.inc({ status, type: this.taskTypes.label(type) });
  }

  /** One webhook delivery attempt ended (its outcome recorded). */
  webhookDelivered(outcome: WebhookOutcomeLabel): void {
    this.webhookDeliveries.inc({ outcome });
  }

  /** One dispatch attempt finished after `seconds`. */
  dispatchObserved(outcome: DispatchOutcomeLabel, seconds: number): void {
    this.dispatchDuration.observe({ outcome }, seconds);
  }

  /** A task event stream opened (+1) or closed (-1) on this process. */
  eventStreamsChanged(by: 1 | -1): void {
    this.eventStreams.inc(by);
  }

  /** A live task event was written to a stream `seconds` after it was stored. */
  eventDelivered(seconds: number): void {
    this.eventLag.observe(seconds);
  }

  /** A stream was cut off: its client did not read and its output passed the bound. */
  eventStreamCut(): void {
    this.eventStreamsCut.inc();
  }
}
