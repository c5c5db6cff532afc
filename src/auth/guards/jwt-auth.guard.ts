import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request, Response } from 'express';
import { ExtractJwt } from 'passport-jwt';
import { IS_PUBLIC } from '../../common/decorators/public.decorator';
import { AuthError, AuthErrorCode } from '../auth.errors';
import { AccountUnavailableError } from '../jwt.strategy';

const REALM = 'ymera';
const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

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

/** Global: every route needs a valid access token unless it is marked @Public(). */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    return isPublic ? true : super.canActivate(context);
  }

  override handleRequest<T>(error: unknown, user: T, info: unknown, context: ExecutionContext): T {
    if (!error && user) return user;
    const request = context.switchToHttp().getRequest<Request>();
    // The token was good but its account could not be read: a server failure, not a refusal.
    if (error instanceof Error && !(error instanceof AccountUnavailableError)) throw error;
    const refusal = bearerRefusal(Boolean(bearerToken(request)), error ?? info);
    context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', refusal.challenge);
    throw new AuthError(refusal.code, refusal.detail);
  }
}
