import { ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Request, Response } from 'express';
import { ExtractJwt } from 'passport-jwt';
import { IS_PUBLIC } from '../../common/decorators/public.decorator';
import { AccountUnavailableError } from '../jwt.strategy';

const REALM = 'ymera';
const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/** Why a token was refused: the answer's detail and its RFC 6750 `WWW-Authenticate` challenge. */
export interface BearerRefusal {
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
      detail: 'An access token is required: send Authorization: Bearer <accessToken>.',
      challenge: `Bearer realm="${REALM}"`,
    };
  }
  const [description, detail] =
    reason instanceof AccountUnavailableError
      ? [
          'The account is disabled or no longer exists',
          'The account is disabled or no longer exists.',
        ]
      : reason instanceof Error && reason.name === 'TokenExpiredError'
        ? [
            'The access token expired',
            'The access token has expired: get a new one from POST /api/v1/auth/refresh.',
          ]
        : ['The access token is invalid', 'The access token is invalid: log in again.'];
  return {
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
    throw new UnauthorizedException(refusal.detail);
  }
}
