import {
  BeforeApplicationShutdown,
  HttpStatus,
  Injectable,
  Logger,
  ServiceUnavailableException,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
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

/** Readiness from SIGTERM on: no dependency is checked, the process is on its way out. */
export const SHUTTING_DOWN: ReadinessAnswer = {
  status: HttpStatus.SERVICE_UNAVAILABLE,
  body: { status: 'shutting_down', info: {}, error: {}, details: {} },
};

/**
 * The probes' answers, for both ways a probe is served: HealthController, and the listener that
 * answers plain probes ahead of Express (probes-first.ts).
 */
@Injectable()
export class HealthProbes implements BeforeApplicationShutdown {
  /**
   * One check answers every probe that arrives while it runs and for HEALTH_READINESS_CACHE_MS
   * after: however many probes (load balancers, orchestrators, dashboards) poll, the database and
   * Redis see at most one ping each per period.
   */
  private readonly readinessCheck: SharedResult<ReadinessAnswer>;
  private readonly logger = new Logger(HealthProbes.name);
  private readonly shutdownDelayMs: number;
  private shuttingDown = false;

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
    this.shutdownDelayMs = config.health.shutdownDelayMs;
  }

  /**
   * From SIGTERM on, readiness answers 503 "shutting_down" while the process goes on serving for
   * HEALTH_SHUTDOWN_DELAY_MS, so load balancers stop sending it requests before its HTTP server
   * closes. Nest closes the server only once every module's hook like this one has returned; task
   * workers drain meanwhile (TasksProcessor). Another signal (Ctrl-C) stops without the wait.
   */
  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.shutDown();
    if (signal !== 'SIGTERM' || this.shutdownDelayMs === 0) return;
    this.logger.log(
      `SIGTERM: readiness answers 503 for ${this.shutdownDelayMs} ms, then the HTTP server closes`,
    );
    await sleep(this.shutdownDelayMs);
  }

  /** Readiness answers 503 "shutting_down" from now on (main.ts calls it at the stop signal). */
  shutDown(): void {
    this.shuttingDown = true;
  }

  /**
   * 200 with every dependency up, else 503 naming the one that is down (Terminus' body), or 503
   * "shutting_down" once the process is stopping.
   */
  readiness(): Promise<ReadinessAnswer> {
    if (this.shuttingDown) return Promise.resolve(SHUTTING_DOWN);
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
