import { Controller, Get, Res, VERSION_NEUTRAL } from '@nestjs/common';
import {
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { HealthCheckResult } from '@nestjs/terminus';
import type { Response } from 'express';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../common/decorators/public.decorator';
import { HealthCheckDto, HealthIndicatorDto, LivenessDto } from './dto/health-check.dto';
import { HealthProbes, LIVENESS } from './health-probes';

/**
 * Probes for orchestrators: public, unversioned, never rate limited, cheap enough to poll every second.
 * A plain GET of either path is answered before it reaches Express (probes-first.ts); these
 * handlers answer the rest (HEAD, a query string, a browser's request with an Origin) and document
 * both.
 */
@ApiTags('health')
@ApiExtraModels(HealthIndicatorDto)
@Public()
@SkipThrottle({ default: true })
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(private readonly probes: HealthProbes) {}

  @Get()
  @ApiOperation({
    summary: 'Readiness: every dependency is reachable',
    description:
      'Public, never rate limited: 200 when PostgreSQL, Redis and the task queue answer, 503 ' +
      'naming the one that does not (or while the process shuts down). For load balancers and ' +
      "orchestrators' readiness probes (README, Health checks).",
  })
  @ApiOkResponse({ type: HealthCheckDto, description: 'Every dependency is up' })
  @ApiServiceUnavailableResponse({
    type: HealthCheckDto,
    description: 'A dependency is down; error names it',
  })
  async readiness(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult> {
    const answer = await this.probes.readiness();
    response.status(answer.status);
    return answer.body;
  }

  @Get('live')
  @ApiOperation({
    summary: 'Liveness: the process is running',
    description:
      'Public, never rate limited, checks nothing else: 200 while the process can answer. For ' +
      "orchestrators' liveness probes (README, Health checks).",
  })
  @ApiOkResponse({ type: LivenessDto, description: 'The process is running' })
  liveness(): typeof LIVENESS {
    return LIVENESS;
  }
}
