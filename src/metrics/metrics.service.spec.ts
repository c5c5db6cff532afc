import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { AppConfig } from '../config/app-config';
import { MetricsService } from './metrics.service';

/** A MetricsService over metrics of a registry of its own, as the module's providers build them. */
async function metricsWith(maxTaskTypes: number) {
  const registry = new Registry();
  const registers = [registry];
  const httpLabels = ['method', 'route', 'status'] as const;
  const dispatch = new Histogram({
    name: 'task_dispatch_duration_seconds',
    help: 'h',
    labelNames: ['outcome'] as const,
    registers,
  });
  const eventStreamMetrics = [
    new Gauge({ name: 'task_event_streams', help: 'h', registers }),
    new Histogram({ name: 'task_event_delivery_lag_seconds', help: 'h', registers }),
    new Counter({ name: 'task_event_streams_cut_total', help: 'h', registers }),
  ] as const;
  const webhooks = new Counter({
    name: 'webhook_deliveries_total',
    help: 'h',
    labelNames: ['outcome'] as const,
    registers,
  });
  const metrics = new MetricsService(
    new Counter({ name: 'http_requests_total', help: 'h', labelNames: httpLabels, registers }),
    new Histogram({
      name: 'http_request_duration_seconds',
      help: 'h',
      labelNames: httpLabels,
      registers,
    }),
    new Counter({
      name: 'tasks_total',
      help: 'h',
      labelNames: ['status', 'type'] as const,
      registers,
    }),
    dispatch,
    ...eventStreamMetrics,
    webhooks,
    { metrics: { maxTaskTypes } } as AppConfig,
  );
  await metrics.onModuleInit();
  return { metrics, registry, dispatch, eventStreamMetrics, webhooks };
}

async function taskSeries(registry: Registry): Promise<Record<string, number>> {
  const { values } = await registry.getSingleMetric('tasks_total')!.get();
  return Object.fromEntries(
    values.map(({ labels, value }) => [`${labels.status}/${labels.type}`, value]),
  );
}

describe('MetricsService', () => {
  it('counts tasks by status and type', async () => {
    const { metrics, registry } = await metricsWith(50);
    metrics.taskCounted('created', 'summarise');
    metrics.taskCounted('created', 'summarise');
    metrics.taskCounted('completed', 'summarise');
    expect(await taskSeries(registry)).toEqual({
      'created/summarise': 2,
      'completed/summarise': 1,
    });
  });

  it('folds task types past METRICS_MAX_TASK_TYPES into "other"', async () => {
    const { metrics, registry } = await metricsWith(2);
    metrics.taskCounted('created', 'summarise');
    metrics.taskCounted('created', 'translate');
    metrics.taskCounted('created', 'classify');
    metrics.taskCounted('failed', 'transcribe');
    metrics.taskCounted('completed', 'translate');
    expect(await taskSeries(registry)).toEqual({
      'created/summarise': 1,
      'created/translate': 1,
      'created/other': 1,
      'failed/other': 1,
      'completed/translate': 1,
    });
  });

  it('has a dispatch series for every outcome from the start', async () => {
    const { metrics, registry } = await metricsWith(50);
    metrics.dispatchObserved('succeeded', 0.2);
    const text = await registry.metrics();
    expect(text).toContain('task_dispatch_duration_seconds_count{outcome="succeeded"} 1');
    expect(text).toContain('task_dispatch_duration_seconds_count{outcome="retryable_error"} 0');
    expect(text).toContain('task_dispatch_duration_seconds_count{outcome="permanent_error"} 0');
    expect(text).toContain('task_dispatch_duration_seconds_count{outcome="cancelled"} 0');
    expect(text).toContain('task_dispatch_duration_seconds_count{outcome="interrupted"} 0');
  });

  it('keeps what another app of the process observed when it starts', async () => {
    const { metrics, registry, dispatch, eventStreamMetrics, webhooks } = await metricsWith(50);
    metrics.dispatchObserved('succeeded', 0.2);
    metrics.webhookDelivered('failed');
    const second = new MetricsService(
      registry.getSingleMetric('http_requests_total') as Counter<'method' | 'route' | 'status'>,
      registry.getSingleMetric('http_request_duration_seconds') as Histogram<
        'method' | 'route' | 'status'
      >,
      registry.getSingleMetric('tasks_total') as Counter<'status' | 'type'>,
      dispatch,
      ...eventStreamMetrics,
      webhooks,
      { metrics: { maxTaskTypes: 50 } } as AppConfig,
    );
    await second.onModuleInit();
    const text = await registry.metrics();
    expect(text).toContain('task_dispatch_duration_seconds_count{outcome="succeeded"} 1');
    expect(text).toContain('webhook_deliveries_total{outcome="failed"} 1');
  });

  it('counts webhook deliveries by outcome, every outcome from the start', async () => {
    const { metrics, registry } = await metricsWith(50);
    metrics.webhookDelivered('succeeded');
    const text = await registry.metrics();
    expect(text).toContain('webhook_deliveries_total{outcome="succeeded"} 1');
    expect(text).toContain('webhook_deliveries_total{outcome="failed"} 0');
  });

  it('counts HTTP requests and their duration by method, route and status', async () => {
    const { metrics, registry } = await metricsWith(50);
    metrics.httpObserved('GET', '/api/v1/tasks/:id', 404, 0.02);
    const text = await registry.metrics();
    expect(text).toContain(
      'http_requests_total{method="GET",route="/api/v1/tasks/:id",status="404"} 1',
    );
    expect(text).toContain(
      'http_request_duration_seconds_bucket{le="0.025",method="GET",route="/api/v1/tasks/:id",status="404"} 1',
    );
  });
});
