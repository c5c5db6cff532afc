import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { clientIp } from '../http/client-ip';
import { requestIdOf } from '../http/request-id';
import { Principal } from './current-user.decorator';

/**
 * How the caller authenticated, when not with a user's access token: the audit trail adds it to
 * the details of every record the request writes (`via`, and the key's or agent's id). Its keys
 * avoid the words audit_redact() blanks out (token, api key...), or the ids would be redacted.
 */
export type CredentialDetails =
  { via: 'api_key'; keyId: string } | { via: 'agent_token'; agentId: string };

/** Where a request came from, as the audit trail records it. */
export interface ClientContext {
  ipAddress: string | null;
  userAgent: string | null;
  requestId: string | null;
  /** Absent or null for a user's access token (and for work no request started). */
  credential?: CredentialDetails | null;
}

const MAX_USER_AGENT = 512;

function credentialOf(principal: Principal | undefined): CredentialDetails | null {
  if (principal?.kind === 'agent') return { via: 'agent_token', agentId: principal.agentId };
  if (principal?.credential.type === 'api_key') {
    return { via: 'api_key', keyId: principal.credential.keyId };
  }
  return null;
}

export function clientContextOf(request: Request): ClientContext {
  return {
    ipAddress: clientIp(request),
    userAgent: request.headers['user-agent']?.slice(0, MAX_USER_AGENT) ?? null,
    requestId: requestIdOf(request) || null,
    credential: credentialOf(request.user as Principal | undefined),
  };
}

export const Client = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ClientContext =>
    clientContextOf(context.switchToHttp().getRequest<Request>()),
);
