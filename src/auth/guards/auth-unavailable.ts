import { ExecutionContext, ServiceUnavailableException } from '@nestjs/common';
import type { Response } from 'express';
import { UNAVAILABLE_RETRY_AFTER_S } from '../../common/http/failure-limiter';

/** 503 with `Retry-After`, for a request whose authentication cannot be decided right now. */
export function authUnavailable(context: ExecutionContext): ServiceUnavailableException {
  context
    .switchToHttp()
    .getResponse<Response>()
    .setHeader('Retry-After', String(UNAVAILABLE_RETRY_AFTER_S));
  return new ServiceUnavailableException('Authentication is unavailable; retry shortly.');
}
