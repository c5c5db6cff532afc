import {
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
} from '@willsoto/nestjs-prometheus';
import type { Provider } from '@nestjs/common';

/** The names of Ymera's own metrics (README, monitoring/alerts.yml). */
export const Metric = {
  HttpRequests: 'http_requests_total',
  HttpDuration: 'http_request_duration_seconds',
  Tasks: 'tasks_total',
  DispatchDuration: 'task_dispatch_duration_seconds',
  DbPoolConnections: 'db_pool_connections',
  DbPoolIdle: 'db_pool_idle_connections',
  DbPoolWaiting: 'db_pool_waiting_requests',
  DbPoolMax: 'db_pool_max_connections',
  QueueJobs: 'bull_queue_jobs',
  TaskEventStreams: 'task_event_streams',
  TaskEventDeliveryLag: 'task_event_delivery_lag_seconds',
  TaskEventStreamsCut: 'task_event_streams_cut_total',
  WebhookDeliveries: 'webhook_deliveries_total',
} as const;

/** HTTP latency buckets (seconds): fine below 100 ms, and 1 s for the slow-request alert. */
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Dispatch latency buckets (seconds): agents may work up to the per-attempt timeout (30 s default). */
const DISPATCH_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * Event delivery lag buckets (seconds): the API aims at 500 ms from commit to every open stream;
 * beyond it, seconds tell a loaded process from a stalled one.
 */
const EVENT_LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Every metric of Ymera's own, as @willsoto/nestjs-prometheus providers (inject with
 * @InjectMetric(name)). They live in prom-client's global registry, which the library scrapes:
 * apps that share a process (e2e tests) share these objects. Counters then add up across those
 * apps; gauges read at scrape time are set by the app being scraped just before it serialises
 * (MetricsController), so each app reports its own pool and queue.
 */
export const metricProviders: Provider[] = [
  makeCounterProvider({
    name: Metric.HttpRequests,
    help: 'HTTP requests answered, by method, route template and status code.',
    labelNames: ['method', 'route', 'status'],
  }),
  makeHistogramProvider({
    name: Metric.HttpDuration,
    help: 'Time from receiving an HTTP request to finishing its response.',
    labelNames: ['method', 'route', 'status'],
    buckets: HTTP_BUCKETS,
  }),
  makeCounterProvider({
    name: Metric.Tasks,
    help: 'Tasks created and finished, by status and task type (rare types are counted as "other").',
    labelNames: ['status', 'type'],
  }),
  makeHistogramProvider({
    name: Metric.DispatchDuration,
    help: 'Time one dispatch attempt of a task to its agent took, by outcome.',
    labelNames: ['outcome'],
    buckets: DISPATCH_BUCKETS,
  }),
  makeCounterProvider({
    name: Metric.WebhookDeliveries,
    help: 'Webhook delivery attempts by outcome (succeeded: a 2xx; failed: anything else).',
    labelNames: ['outcome'],
  }),
  makeGaugeProvider({
    name: Metric.DbPoolConnections,
    help: 'Connections open in the PostgreSQL pool of this process, idle or in use.',
  }),
  makeGaugeProvider({
    name: Metric.DbPoolIdle,
    help: 'Open PostgreSQL pool connections not in use.',
  }),
  makeGaugeProvider({
    name: Metric.DbPoolWaiting,
    help: 'Queries waiting for a PostgreSQL pool connection because all are in use.',
  }),
  makeGaugeProvider({
    name: Metric.DbPoolMax,
    help: 'Largest number of connections the PostgreSQL pool of this process may open (DB_POOL_MAX).',
  }),
  makeGaugeProvider({
    name: Metric.QueueJobs,
    help: 'Jobs in a Bull queue by state, read from Redis at scrape time (the same for every process).',
    labelNames: ['queue', 'state'],
  }),
  makeGaugeProvider({
    name: Metric.TaskEventStreams,
    help: 'Task event streams (GET /api/v1/tasks/events and /api/v1/tasks/{id}/events) open on this process.',
  }),
  makeHistogramProvider({
    name: Metric.TaskEventDeliveryLag,
    help: 'Time from a task event being stored to its being written to an open event stream (live events only, not those a stream catches up on).',
    buckets: EVENT_LAG_BUCKETS,
  }),
  makeCounterProvider({
    name: Metric.TaskEventStreamsCut,
    help: 'Task event streams cut off because their client did not read and their unsent output passed TASK_EVENTS_MAX_BUFFER_BYTES.',
  }),
];
