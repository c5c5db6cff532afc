import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import Redis from 'ioredis';
import { AgentsModule } from '../agents/agents.module';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AuditModule } from '../audit/audit.module';
import { AppConfig } from '../config/app-config';
import { REDIS } from '../redis/redis.module';
import { AccountStates } from './account-states';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { RefreshToken } from './entities/refresh-token.entity';
import { User } from './entities/user.entity';
import { JwtAuthGuard } from './guards/jwt-auth.guard';
import { RolesGuard } from './guards/roles.guard';
import { ThrottleGuard } from './guards/throttle.guard';
import { JWT_ALGORITHM, JwtStrategy } from './jwt.strategy';
import { PasswordHasher } from './password-hasher';
import { throttlerOptions } from './rate-limits';
import { TokensService } from './tokens.service';
import { UsersController } from './users.controller';
import { UsersService } from './users.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([User, RefreshToken]),
    PassportModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        secret: config.jwt.secret,
        signOptions: { algorithm: JWT_ALGORITHM, expiresIn: config.jwt.accessTtlS },
        verifyOptions: { algorithms: [JWT_ALGORITHM] },
      }),
    }),
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, REDIS],
      useFactory: (config: AppConfig, redis: Redis) => throttlerOptions(config, redis),
    }),
    AuditModule,
    // What the global guard checks API keys and agent tokens with.
    ApiKeysModule,
    AgentsModule,
  ],
  controllers: [AuthController, UsersController],
  providers: [
    AccountStates,
    AuthService,
    UsersService,
    TokensService,
    PasswordHasher,
    JwtStrategy,
    // Order matters: who the caller is, then what they may do, then how often.
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
    { provide: APP_GUARD, useClass: ThrottleGuard },
  ],
  exports: [UsersService, PasswordHasher],
})
export class AuthModule {}
