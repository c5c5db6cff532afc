import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditAction } from '../audit/audit-actions';
import { AuditService } from '../audit/audit.service';
import { ClientContext } from '../common/decorators/client-context.decorator';
import { AuthError, AuthErrorCode } from './auth.errors';
import { AuthResponseDto } from './dto/auth-response.dto';
import { LoginDto } from './dto/login.dto';
import { RegisterDto } from './dto/register.dto';
import { UserDto } from './dto/user.dto';
import { User } from './entities/user.entity';
import { PasswordHasher } from './password-hasher';
import { INVALID_REFRESH_TOKEN, IssuedTokens, TokensService } from './tokens.service';
import { UsersService } from './users.service';

const BAD_CREDENTIALS = 'Invalid username or password.';

function respond(user: User, tokens: IssuedTokens): AuthResponseDto {
  return { user: UserDto.from(user), ...tokens, tokenType: 'Bearer' };
}

@Injectable()
export class AuthService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly tokens: TokensService,
    private readonly passwords: PasswordHasher,
    private readonly audit: AuditService,
  ) {}

  async register(dto: RegisterDto, client: ClientContext): Promise<AuthResponseDto> {
    const passwordHash = await this.passwords.hash(dto.password);
    return this.dataSource.transaction(async (manager) => {
      const user = await this.users.create(manager, {
        username: dto.username,
        email: dto.email,
        passwordHash,
      });
      return this.signIn(manager, user, AuditAction.AuthRegister, client, {
        details: { username: user.username },
      });
    });
  }

  /** One answer and the same argon2 work for an unknown user, a wrong password and a disabled account. */
  async login(dto: LoginDto, client: ClientContext): Promise<AuthResponseDto> {
    const user = await this.users.findByLogin(dto.username);
    const valid = await this.passwords.verify(user?.passwordHash ?? null, dto.password);
    if (!user || !valid || !user.isActive) {
      await this.audit.record({
        action: AuditAction.AuthLogin,
        outcome: 'failure',
        actorId: user?.id ?? null,
        resourceType: 'user',
        resourceId: user?.id ?? null,
        client,
        details: {
          attemptedUsername: dto.username.slice(0, 254),
          reason: !user ? 'unknown_user' : !valid ? 'wrong_password' : 'inactive_user',
        },
      });
      throw new AuthError(AuthErrorCode.InvalidCredentials, BAD_CREDENTIALS);
    }
    return this.dataSource.transaction((manager) =>
      this.signIn(manager, user, AuditAction.AuthLogin, client),
    );
  }

  async refresh(presented: string, client: ClientContext): Promise<AuthResponseDto> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const result = await this.tokens.consume(manager, presented);
      if (result.kind === 'reused') {
        await this.audit.record(
          {
            action: AuditAction.AuthTokenReuse,
            outcome: 'failure',
            actorId: result.token.userId,
            resourceType: 'user',
            resourceId: result.token.userId,
            client,
            details: { familyId: result.token.familyId },
          },
          manager,
        );
        return null;
      }
      if (result.kind === 'invalid') return null;
      const user = await manager.getRepository(User).findOneBy({ id: result.token.userId });
      if (!user?.isActive) return null;
      return this.signIn(manager, user, AuditAction.AuthRefresh, client, {
        familyId: result.token.familyId,
      });
    });
    // Thrown after the transaction so that the family revocation of a reuse commits.
    if (!outcome) throw INVALID_REFRESH_TOKEN();
    return outcome;
  }

  /** Revokes the token's whole family. Idempotent: an unknown or revoked token is not an error. */
  async logout(presented: string, client: ClientContext): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const token = await this.tokens.revokeFamilyOf(manager, presented);
      if (!token) return;
      await this.audit.record(
        {
          action: AuditAction.AuthLogout,
          actorId: token.userId,
          resourceType: 'user',
          resourceId: token.userId,
          client,
          details: { familyId: token.familyId },
        },
        manager,
      );
    });
  }

  /**
   * Tokens for `user` (a new family, or the next of `familyId`) and the audit record of why they
   * were issued, in the caller's transaction: one answer for register, login and refresh.
   */
  private async signIn(
    manager: EntityManager,
    user: User,
    action: AuditAction,
    client: ClientContext,
    { familyId, details }: { familyId?: string; details?: Record<string, unknown> } = {},
  ): Promise<AuthResponseDto> {
    const tokens = await this.tokens.issue(manager, user, familyId);
    await this.audit.record(
      { action, actorId: user.id, resourceType: 'user', resourceId: user.id, client, details },
      manager,
    );
    return respond(user, tokens);
  }
}
