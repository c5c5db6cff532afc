import { ExecutionContext, Injectable, Logger } from '@nestjs/common';
import {
  ThrottlerException,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  ThrottlerRequest,
} from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { Principal } from '../../common/decorators/current-user.decorator';
import { CommonError, CommonErrorCode } from '../../common/errors/common.errors';
import { clientIp } from '../../common/http/client-ip';
import { UNAVAILABLE_RETRY_AFTER_S } from '../../common/http/failure-limiter';
import { requestIdOf } from '../../common/http/request-id';
import { AUTH_THROTTLER, clientAddress } from '../rate-limits';

/**
 * Rate limits with counters in Redis, shared by every instance.
 * When Redis cannot be reached, the auth limit fails closed (503: no password guessing while the
 * limiter is blind) and the general limit fails open (authenticated work goes on).
 */
@Injectable()
export class ThrottleGuard extends ThrottlerGuard {
  private readonly log = new Logger(ThrottleGuard.name);

  /**
   * The general limit counts per user when the caller is authenticated (with a token or an API
   * key), per agent for an agent token, per client IP otherwise.
   */
  protected override getTracker(request: Request): Promise<string> {
    const principal = request.user as Principal | undefined;
    return Promise.resolve(
      principal?.kind === 'agent'
        ? `agent:${principal.agentId}`
        : principal
          ? `user:${principal.id}`
          : clientAddress(clientIp(request)),
    );
  }

  protected override async handleRequest(props: ThrottlerRequest): Promise<boolean> {
    try {
      return await super.handleRequest(props);
    } catch (error) {
      if (error instanceof ThrottlerException) throw error;
      const requestId = requestIdOf(props.context.switchToHttp().getRequest<Request>());
      if (props.throttler.name === AUTH_THROTTLER) {
        this.log.error(
          { err: error, requestId },
          'Rate limiter unavailable: refusing auth requests',
        );
        props.context
          .switchToHttp()
          .getResponse<Response>()
          .setHeader('Retry-After', String(UNAVAILABLE_RETRY_AFTER_S));
        throw new CommonError(
          CommonErrorCode.RateLimiterUnavailable,
          'Authentication is unavailable; retry shortly.',
        );
      }
      this.log.warn({ err: error, requestId }, 'Rate limiter unavailable: request let through');
      return true;
    }
  }

  /** Clients are promised a plain Retry-After (README); the library names it Retry-After-<name> for named limits. */
  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    context
      .switchToHttp()
      .getResponse<Response>()
      .setHeader('Retry-After', String(Math.max(1, detail.timeToBlockExpire)));
    await super.throwThrottlingException(context, detail);
  }
}
