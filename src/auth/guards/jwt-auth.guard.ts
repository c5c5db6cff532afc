import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request, Response } from 'express';
import { ExtractJwt } from 'passport-jwt';
import { IS_PUBLIC } from '../../common/decorators/public.decorator';
import { AuthenticatedUser } from '../../common/decorators/current-user.decorator';
import { AccountStates } from '../account-states';
import { AccessTokenPayload } from '../tokens.service';
import { AuthError, AuthErrorCode } from '../auth.errors';

const REALM = 'ymera';
const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/** A well-signed, unexpired token whose account is disabled or no longer exists. */
export class AccountUnavailableError extends Error {
  constructor() {
    super('The account is disabled or no longer exists');
  }
}

/** Why a token was refused: the answer's code and detail, its RFC 6750 `WWW-Authenticate` challenge. */
export interface BearerRefusal {
  code: AuthErrorCode;
  detail: string;
  challenge: string;
}

/**
 * RFC 6750: a request without a token gets the bare challenge; a refused token gets
 * `error="invalid_token"` with a description a client can act on (refresh an expired token, log
 * in again otherwise).
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
    reason instanceof AccountUnavailableError
      ? [
          AuthErrorCode.AccountUnavailable,
          'The account is disabled or no longer exists',
          'The account is disabled or no longer exists.',
        ]
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

/**
 * Global: every route needs a valid access token unless it is marked @Public(). Passport checks the
 * token (signature, algorithm, expiry); then the account: a disabled or deleted account is refused,
 * and the caller's role is the account's current one, not the one the token was issued with (a
 * demoted admin loses admin routes at once).
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    private readonly accounts: AccountStates,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    await super.canActivate(context);
    const request = context.switchToHttp().getRequest<Request>();
    const claims = request.user as AccessTokenPayload;
    const account = await this.accounts.get(claims.sub);
    if (!account?.active) this.refuse(context, new AccountUnavailableError());
    const user: AuthenticatedUser = {
      id: claims.sub,
      username: claims.username,
      role: account.role,
    };
    request.user = user;
    return true;
  }

  override handleRequest<T>(error: unknown, user: T, info: unknown, context: ExecutionContext): T {
    if (!error && user) return user;
    if (error instanceof Error) throw error;
    this.refuse(context, info);
  }

  /** 401 with the RFC 6750 challenge that says why. */
  private refuse(context: ExecutionContext, reason: unknown): never {
    const request = context.switchToHttp().getRequest<Request>();
    const refusal = bearerRefusal(Boolean(bearerToken(request)), reason);
    context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', refusal.challenge);
    throw new AuthError(refusal.code, refusal.detail);
  }
}
