import { ExecutionContext, SetMetadata } from '@nestjs/common';
import { normalizeIp, ThrottlerModuleOptions } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { Request } from 'express';
import Redis from 'ioredis';
import { clientIp } from '../common/http/client-ip';
import { AppConfig } from '../config/app-config';

export const AUTH_THROTTLER = 'auth';
const AUTH_LIMITED = 'ymera:authLimited';

/** Puts a route under the strict auth limit (per client IP, one budget for all such routes). */
export const AuthRateLimit = () => SetMetadata(AUTH_LIMITED, true);

function isAuthLimited(context: ExecutionContext): boolean {
  return Reflect.getMetadata(AUTH_LIMITED, context.getHandler()) === true;
}

/**
 * The address a limit counts against. An IPv6 client usually holds a whole /64 and can rotate
 * through it, so IPv6 addresses count per /64 (and IPv4-mapped ones as the IPv4 address).
 */
export function clientAddress(ip: string | null | undefined): string {
  return `ip:${ip ? normalizeIp(ip) : 'unknown'}`;
}

export function throttlerOptions(config: AppConfig, redis: Redis): ThrottlerModuleOptions {
  return {
    throttlers: [
      {
        name: 'default',
        limit: config.throttle.defaultLimit,
        ttl: config.throttle.defaultTtlS * 1000,
      },
      {
        name: AUTH_THROTTLER,
        limit: config.throttle.authLimit,
        ttl: config.throttle.authTtlS * 1000,
        skipIf: (context) => !isAuthLimited(context),
        // Register, login and refresh share one budget: five guesses a minute in all, not per route.
        generateKey: (_context, tracker) => `${AUTH_THROTTLER}:${tracker}`,
        getTracker: (request: Record<string, unknown>) =>
          clientAddress(clientIp(request as unknown as Request)),
      },
    ],
    storage: new ThrottlerStorageRedisService(redis),
  };
}
