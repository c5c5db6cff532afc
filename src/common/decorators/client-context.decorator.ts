import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { clientIp } from '../http/client-ip';
import { requestIdOf } from '../http/request-id';

/** Where a request came from, as the audit trail records it. */
export interface ClientContext {
  ipAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
}

const MAX_USER_AGENT = 512;

export function clientContextOf(request: Request): ClientContext {
  return {
    ipAddress: clientIp(request),
    userAgent: request.headers['user-agent']?.slice(0, MAX_USER_AGENT) ?? null,
    requestId: requestIdOf(request) || null,
  };
}

export const Client = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ClientContext =>
    clientContextOf(context.switchToHttp().getRequest<Request>()),
);
