import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { Role } from '../auth/role';
import { ApiKeyScope } from '../auth/scopes';

/**
 * How a user proved who they are: an access token (JWT), or one of their API keys (with its hash,
 * what a change of the key is announced by); and until when it holds (null: until revoked).
 */
export type UserCredential =
  | { type: 'jwt'; expiresAt: Date | null }
  | {
      type: 'api_key';
      keyId: string;
      keyHash: string;
      scopes: readonly ApiKeyScope[];
      expiresAt: Date | null;
    };

/** Who is calling, as proven by an access token or an API key (which acts as its owner). */
export interface AuthenticatedUser {
  kind: 'user';
  id: string;
  username: string;
  role: Role;
  credential: UserCredential;
}

/** An agent calling its own API (/api/v1/agent/...) with its agent token. */
export interface AuthenticatedAgent {
  kind: 'agent';
  agentId: string;
  ownerId: string;
}

/** What the global guard puts on `request.user`: the caller, and how it authenticated. */
export type Principal = AuthenticatedUser | AuthenticatedAgent;

/** The user calling a user route (any route that is not an @AgentRoute()). */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthenticatedUser =>
    context.switchToHttp().getRequest<Request>().user as AuthenticatedUser,
);

/** The agent calling an @AgentRoute(). */
export const CurrentAgent = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthenticatedAgent =>
    context.switchToHttp().getRequest<Request>().user as AuthenticatedAgent,
);
