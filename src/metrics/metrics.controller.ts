import { Controller, Get, Header, Res, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { Response } from 'express';
import { Public } from '../common/decorators/public.decorator';
import { DatabasePoolMetrics } from './database-pool.metrics';
import { QueueMetrics } from './queue.metrics';

/**
 * Scrapes of every app in this process, one at a time: the gauges read at scrape time are shared
 * objects in prom-client's global registry, so one app's values must be serialised before another
 * app sets its own (several apps share a process only in tests; it costs nothing otherwise).
 */
let scrapes: Promise<unknown> = Promise.resolve();

function oneAtATime<T>(scrape: () => Promise<T>): Promise<T> {
  const next = scrapes.then(scrape, scrape);
  scrapes = next.catch(() => undefined);
  return next;
}

/** Prometheus scrape endpoint: public and unversioned like the health probes, never rate limited. */
@ApiTags('metrics')
@Public()
@SkipThrottle({ default: true })
@Controller({ path: 'metrics', version: VERSION_NEUTRAL })
export class MetricsController extends PrometheusController {
  constructor(
    private readonly pool: DatabasePoolMetrics,
    private readonly queues: QueueMetrics,
  ) {
    super();
  }

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'Prometheus text exposition format: HTTP, task, dispatch, queue, database pool and process metrics.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Every metric of this process',
    content: {
      'text/plain': {
        schema: { type: 'string' },
        example: 'http_requests_total{method="GET",route="/api/v1/users/me",status="200"} 3\n',
      },
    },
  })
  override index(@Res({ passthrough: true }) response: Response): Promise<string> {
    return oneAtATime(async () => {
      this.pool.refresh();
      await this.queues.refresh();
      return super.index(response);
    });
  }
}
