import { HttpStatus, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { SharedResult } from '../common/async/shared-result';
import { AppConfig } from '../config/app-config';
import { QueueHealthIndicator } from './queue.health';
import { RedisHealthIndicator } from './redis.health';

export interface ReadinessAnswer {
  status: number;
  body: HealthCheckResult;
}

export const LIVENESS = { status: 'ok' } as const;

/**
 * The probes' answers, for both ways a probe is served: HealthController, and the listener that
 * answers plain probes ahead of Express (probes-first.ts).
 */
@Injectable()
export class HealthProbes {
  /**
   * One check answers every probe that arrives while it runs and for HEALTH_READINESS_CACHE_MS
   * after: however many probes (load balancers, orchestrators, dashboards) poll, the database and
   * Redis see at most one ping each per period.
   */
  private readonly readinessCheck: SharedResult<ReadinessAnswer>;

  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly queue: QueueHealthIndicator,
    config: AppConfig,
  ) {
    this.readinessCheck = new SharedResult(
      () => this.checkDependencies(),
      config.health.readinessCacheMs,
    );
  }

  /** 200 with every dependency up, else 503 naming the one that is down (Terminus' body). */
  readiness(): Promise<ReadinessAnswer> {
    return this.readinessCheck.get();
  }

  private async checkDependencies(): Promise<ReadinessAnswer> {
    try {
      const body = await this.health.check([
        () => this.database.pingCheck('database', { timeout: 1000 }),
        () => this.redis.pingCheck('redis'),
        () => this.queue.pingCheck('queue'),
      ]);
      return { status: HttpStatus.OK, body };
    } catch (error) {
      // Probes and dashboards read Terminus' own body (status "error", the failed dependency named),
      // so it is answered as is rather than as problem details.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      return { status: error.getStatus(), body: error.getResponse() as HealthCheckResult };
    }
  }
}
