import {
  Controller,
  Get,
  HttpStatus,
  Res,
  ServiceUnavailableException,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { HealthCheckResult, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import type { Response } from 'express';
import { SkipThrottle } from '@nestjs/throttler';
import { SharedResult } from '../common/async/shared-result';
import { Public } from '../common/decorators/public.decorator';
import { AppConfig } from '../config/app-config';
import { HealthCheckDto, HealthIndicatorDto, LivenessDto } from './dto/health-check.dto';
import { QueueHealthIndicator } from './queue.health';
import { RedisHealthIndicator } from './redis.health';

interface ReadinessAnswer {
  status: number;
  body: HealthCheckResult;
}

/** Probes for orchestrators: public, unversioned, never rate limited, cheap enough to poll every second. */
@ApiTags('health')
@ApiExtraModels(HealthIndicatorDto)
@Public()
@SkipThrottle({ default: true })
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
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

  @Get()
  @ApiOperation({ summary: 'Readiness: every dependency is reachable' })
  @ApiOkResponse({ type: HealthCheckDto, description: 'Every dependency is up' })
  @ApiServiceUnavailableResponse({
    type: HealthCheckDto,
    description: 'A dependency is down; error names it',
  })
  async readiness(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult> {
    const answer = await this.readinessCheck.get();
    response.status(answer.status);
    return answer.body;
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

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is running' })
  @ApiOkResponse({ type: LivenessDto, description: 'The process is running' })
  liveness(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
