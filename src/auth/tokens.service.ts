import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { EntityManager, IsNull } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { AuthError, AuthErrorCode } from './auth.errors';
import { RefreshToken } from './entities/refresh-token.entity';
import { User } from './entities/user.entity';

export interface AccessTokenPayload {
  sub: string;
  username: string;
  role: User['role'];
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export type RotationResult =
  | { kind: 'rotated'; token: RefreshToken }
  | { kind: 'reused'; token: RefreshToken }
  | { kind: 'invalid' };

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** Access tokens (JWT, 15 min) and rotating refresh tokens (random, stored hashed). */
@Injectable()
export class TokensService {
  constructor(
    private readonly jwt: JwtService,
    private readonly config: AppConfig,
  ) {}

  /** Issues an access token and a refresh token of the given family (a new family when absent). */
  async issue(
    manager: EntityManager,
    user: User,
    familyId: string = randomUUID(),
  ): Promise<IssuedTokens> {
    const payload: AccessTokenPayload = { sub: user.id, username: user.username, role: user.role };
    const refreshToken = randomBytes(32).toString('base64url');
    await manager.getRepository(RefreshToken).insert({
      userId: user.id,
      familyId,
      tokenHash: sha256(refreshToken),
      expiresAt: new Date(Date.now() + this.config.jwt.refreshTtlS * 1000),
    });
    return {
      accessToken: await this.jwt.signAsync(payload),
      refreshToken,
      expiresIn: this.config.jwt.accessTtlS,
    };
  }

  /**
   * Marks a refresh token used, under a row lock so two concurrent uses cannot both succeed.
   * A token that was already used is a reuse: its whole family is revoked. A token revoked without
   * being used (logout, or a family already revoked for a reuse) is merely invalid: its family is
   * revoked already, and reporting it again would turn a stale client into a false alarm.
   */
  async consume(manager: EntityManager, presented: string): Promise<RotationResult> {
    const tokens = manager.getRepository(RefreshToken);
    const token = await tokens.findOne({
      where: { tokenHash: sha256(presented) },
      lock: { mode: 'pessimistic_write' },
    });
    if (!token) return { kind: 'invalid' };
    if (token.usedAt) {
      await this.revokeFamily(manager, token.familyId);
      return { kind: 'reused', token };
    }
    if (token.revokedAt || token.expiresAt.getTime() <= Date.now()) return { kind: 'invalid' };
    await tokens.update({ id: token.id }, { usedAt: new Date(), revokedAt: new Date() });
    return { kind: 'rotated', token };
  }

  /** Revokes the family of a presented token; answers the token found, if any. */
  async revokeFamilyOf(manager: EntityManager, presented: string): Promise<RefreshToken | null> {
    const token = await manager
      .getRepository(RefreshToken)
      .findOneBy({ tokenHash: sha256(presented) });
    if (token) await this.revokeFamily(manager, token.familyId);
    return token;
  }

  private async revokeFamily(manager: EntityManager, familyId: string): Promise<void> {
    await manager
      .getRepository(RefreshToken)
      .update({ familyId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }
}

export const INVALID_REFRESH_TOKEN = () =>
  new AuthError(
    AuthErrorCode.InvalidRefreshToken,
    'The refresh token is invalid, expired or revoked.',
  );
