import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { createSecretKey } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '../config/app-config';
import { AccessTokenPayload } from './tokens.service';

export const JWT_ALGORITHM = 'HS256';

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(config: AppConfig) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject, not the string: given a string, jsonwebtoken first tries to parse it as a
      // public key on every verification (~0.35 ms a request) before treating it as a secret.
      // passport-jwt's types predate KeyObject, which it passes through to jsonwebtoken unchanged.
      secretOrKey: createSecretKey(Buffer.from(config.jwt.secret)) as unknown as Buffer,
      // Pinned: a token signed with "none" or any other algorithm is refused.
      algorithms: [JWT_ALGORITHM],
      ignoreExpiration: false,
    });
  }

  /**
   * The token's verified claims. Passport keeps strategies in one registry per process, so this
   * strategy holds nothing of its application's: the account is checked by JwtAuthGuard, which
   * belongs to the application serving the request.
   */
  validate(payload: AccessTokenPayload): AccessTokenPayload {
    return payload;
  }
}
