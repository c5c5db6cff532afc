import { Global, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { register } from 'prom-client';
import { DatabasePoolMetrics } from './database-pool.metrics';
import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { metricProviders } from './metric-definitions';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { QueueMetrics } from './queue.metrics';

/**
 * prom-client names these default gauges *_total, a suffix Prometheus reserves for counters
 * (promtool check metrics refuses them). sum() over the per-type gauges of the same names without
 * the suffix (nodejs_active_handles...) gives the same figures.
 */
const NON_COUNTERS_NAMED_TOTAL = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * Registered once per process, when this file is first imported: the library starts prom-client's
 * default metrics in the global registry on every register() call, and a second start in the same
 * process (a second app in an e2e test) would throw on the names already taken.
 */
const prometheus = PrometheusModule.register({
  controller: MetricsController,
  path: 'metrics',
  defaultMetrics: { enabled: true },
});
for (const name of NON_COUNTERS_NAMED_TOTAL) register.removeSingleMetric(name);

/** GET /metrics, and MetricsService for any module that counts something (tasks, dispatch). */
@Global()
@Module({
  imports: [prometheus],
  providers: [
    ...metricProviders,
    MetricsService,
    HttpMetricsMiddleware,
    DatabasePoolMetrics,
    QueueMetrics,
  ],
  exports: [MetricsService, HttpMetricsMiddleware, DatabasePoolMetrics, QueueMetrics],
})
export class MetricsModule {}
