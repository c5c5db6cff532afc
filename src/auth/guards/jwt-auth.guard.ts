import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request, Response } from 'express';
import { ExtractJwt } from 'passport-jwt';
import { AgentCredentials } from '../../agents/agent-credentials.service';
import { ApiKeysService } from '../../api-keys/api-keys.service';
import { machineTokenKind, presentedTokenHash } from '../../common/auth/machine-token';
import { ApiKeyScope } from '../../common/auth/scopes';
import { IS_AGENT_ROUTE, SCOPES_KEY } from '../../common/decorators/credentials.decorator';
import {
  AuthenticatedAgent,
  AuthenticatedUser,
} from '../../common/decorators/current-user.decorator';
import { IS_PUBLIC } from '../../common/decorators/public.decorator';
import { AccountState, AccountStates } from '../account-states';
import { AuthError, AuthErrorCode } from '../auth.errors';
import { AccessTokenPayload } from '../tokens.service';

const REALM = 'ymera';
const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/** A bearer token refused for a reason the guard found (passport reports the JWT's own faults). */
export class BearerRefused extends Error {
  constructor(
    readonly code: AuthErrorCode,
    /** The RFC 6750 error_description. */
    readonly description: string,
    /** The problem's detail. */
    detail: string,
  ) {
    super(detail);
  }
}

/** Anything but an agent token on the agent's own API (/api/v1/agent/...). */
const agentTokenRequired = () =>
  new BearerRefused(
    AuthErrorCode.AgentTokenRequired,
    'The route takes only an agent token',
    "This is the agent's own API: send Authorization: Bearer <agentToken>.",
  );

const accountUnavailable = () =>
  new BearerRefused(
    AuthErrorCode.AccountUnavailable,
    'The account is disabled or no longer exists',
    'The account is disabled or no longer exists.',
  );

/** Why a token was refused: the answer's code and detail, its RFC 6750 `WWW-Authenticate` challenge. */
export interface BearerRefusal {
  code: AuthErrorCode;
  detail: string;
  challenge: string;
}

/**
 * RFC 6750: a request without a token gets the bare challenge; a refused token gets
 * `error="invalid_token"` with a description a client can act on (refresh an expired token, log
 * in again, use the other kind of token).
 */
export function bearerRefusal(hasToken: boolean, reason: unknown): BearerRefusal {
  if (!hasToken) {
    return {
      code: AuthErrorCode.TokenRequired,
      detail: 'An access token is required: send Authorization: Bearer <accessToken>.',
      challenge: `Bearer realm="${REALM}"`,
    };
  }
  const [code, description, detail] =
    reason instanceof BearerRefused
      ? [reason.code, reason.description, reason.message]
      : reason instanceof Error && reason.name === 'TokenExpiredError'
        ? [
            AuthErrorCode.TokenExpired,
            'The access token expired',
            'The access token has expired: get a new one from POST /api/v1/auth/refresh.',
          ]
        : [
            AuthErrorCode.InvalidToken,
            'The access token is invalid',
            'The access token is invalid: log in again.',
          ];
  return {
    code,
    detail,
    challenge: `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`,
  };
}

/** What a route admits, from its decorators (handler over controller, as every guard reads them). */
interface Admission {
  isPublic: boolean;
  agentRoute: boolean;
  scopes: readonly ApiKeyScope[];
}

/**
 * Global: the one authentication path for the three bearer credentials, chosen by the token's
 * form (README, "Machine identities"): `ymra_…` an agent token, `ymrk_…` an API key, anything else
 * an access token (JWT). Every route needs one unless it is marked @Public(); an agent token is
 * admitted only on @AgentRoute() routes (401 elsewhere, public ones included), where nothing else
 * is; an API key only on routes whose @Scopes() it holds one of (403 elsewhere, public ones
 * included). Each credential answers for its user's account as the database says now: a disabled
 * or deleted account (the owner's, for a key or an agent) is refused, and the caller's role is
 * the account's current one. Passport (process-global, so holding nothing of this application's)
 * checks only the JWT itself; accounts and machine tokens are checked here, by this application's
 * providers.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly accounts: AccountStates,
    private readonly apiKeys: ApiKeysService,
    private readonly agentTokens: AgentCredentials,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<Request>();
    const admission = this.admission(context);
    const token = bearerToken(request);
    const kind = token ? machineTokenKind(token) : null;
    if (token && kind === 'agent') {
      request.user = await this.agent(context, token, admission);
      return true;
    }
    if (token && kind === 'apiKey') {
      request.user = await this.apiKey(context, token, admission);
      return true;
    }
    if (admission.isPublic) return true;
    if (admission.agentRoute) {
      this.refuse(context, agentTokenRequired());
    }
    await super.canActivate(context);
    const claims = request.user as AccessTokenPayload & { exp?: number };
    const account = await this.activeAccount(context, claims.sub);
    const user: AuthenticatedUser = {
      kind: 'user',
      id: claims.sub,
      username: account.username,
      role: account.role,
      credential: {
        type: 'jwt',
        expiresAt: typeof claims.exp === 'number' ? new Date(claims.exp * 1000) : null,
      },
    };
    request.user = user;
    return true;
  }

  override handleRequest<T>(error: unknown, user: T, info: unknown, context: ExecutionContext): T {
    if (!error && user) return user;
    if (error instanceof Error) throw error;
    this.refuse(context, info);
  }

  private admission(context: ExecutionContext): Admission {
    const targets = [context.getHandler(), context.getClass()];
    return {
      isPublic: this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) === true,
      agentRoute: this.reflector.getAllAndOverride<boolean>(IS_AGENT_ROUTE, targets) === true,
      scopes:
        this.reflector.getAllAndOverride<ApiKeyScope[] | undefined>(SCOPES_KEY, targets) ?? [],
    };
  }

  private async agent(
    context: ExecutionContext,
    token: string,
    admission: Admission,
  ): Promise<AuthenticatedAgent> {
    if (!admission.agentRoute) {
      this.refuse(
        context,
        new BearerRefused(
          AuthErrorCode.AgentTokenNotAccepted,
          'An agent token works only on the agent API',
          "An agent token works only on the agent's own API (/api/v1/agent/...).",
        ),
      );
    }
    const hash = presentedTokenHash('agent', token);
    const grant = hash && (await this.agentTokens.authenticate(hash));
    if (!grant) {
      this.refuse(
        context,
        new BearerRefused(
          AuthErrorCode.InvalidAgentToken,
          'The agent token is invalid',
          "The agent token is invalid or was replaced: the agent's owner can issue new " +
            'credentials with POST /api/v1/agents/{id}/credentials.',
        ),
      );
    }
    await this.activeAccount(context, grant.ownerId);
    return { kind: 'agent', agentId: grant.agentId, ownerId: grant.ownerId };
  }

  private async apiKey(
    context: ExecutionContext,
    token: string,
    admission: Admission,
  ): Promise<AuthenticatedUser> {
    const hash = presentedTokenHash('apiKey', token);
    const grant = hash && (await this.apiKeys.authenticate(hash));
    if (!grant) {
      this.refuse(
        context,
        new BearerRefused(
          AuthErrorCode.InvalidApiKey,
          'The API key is invalid',
          'The API key is invalid or was revoked.',
        ),
      );
    }
    if (grant.expiresAt && grant.expiresAt.getTime() <= Date.now()) {
      this.refuse(
        context,
        new BearerRefused(
          AuthErrorCode.ApiKeyExpired,
          'The API key expired',
          `The API key expired at ${grant.expiresAt.toISOString()}: create a new one.`,
        ),
      );
    }
    const account = await this.activeAccount(context, grant.ownerId);
    if (admission.agentRoute) {
      this.refuse(context, agentTokenRequired());
    }
    if (!admission.scopes.some((scope) => grant.scopes.includes(scope))) {
      const response = context.switchToHttp().getResponse<Response>();
      response.setHeader(
        'WWW-Authenticate',
        `Bearer realm="${REALM}", error="insufficient_scope"` +
          (admission.scopes.length ? `, scope="${admission.scopes.join(' ')}"` : ''),
      );
      throw new AuthError(
        AuthErrorCode.ScopeRequired,
        admission.scopes.length
          ? `The API key needs the scope ${admission.scopes.join(' or ')} for this route.`
          : 'This route takes no API key: use an access token.',
      );
    }
    await this.apiKeys.used(grant.id);
    return {
      kind: 'user',
      id: grant.ownerId,
      username: account.username,
      role: account.role,
      credential: {
        type: 'api_key',
        keyId: grant.id,
        keyHash: hash.toString('hex'),
        scopes: grant.scopes,
        expiresAt: grant.expiresAt,
      },
    };
  }

  /** The account, refused (401) when it is disabled or no longer exists. */
  private async activeAccount(context: ExecutionContext, userId: string): Promise<AccountState> {
    const account = await this.accounts.get(userId);
    if (!account?.active) this.refuse(context, accountUnavailable());
    return account;
  }

  /** 401 with the RFC 6750 challenge that says why. */
  private refuse(context: ExecutionContext, reason: unknown): never {
    const request = context.switchToHttp().getRequest<Request>();
    const refusal = bearerRefusal(Boolean(bearerToken(request)), reason);
    context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', refusal.challenge);
    throw new AuthError(refusal.code, refusal.detail);
  }
}
