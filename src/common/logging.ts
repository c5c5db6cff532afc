import { Module } from '@nestjs/common';
import { LoggerModule, Params } from 'nestjs-pino';
import type { LoggerOptions } from 'pino';
import { AppConfig } from '../config/app-config';
import { RequestLogMiddleware } from './http/request-log.middleware';

/** Anything that could hold a secret is replaced before a line is written. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.passwordHash',
  '*.accessToken',
  '*.refreshToken',
  '*.token',
  '*.secret',
  '*.signingSecret',
  '*.authorization',
  // A failed query logs its SQL, which is useful, and its parameters, which may be anything a
  // client sent or a hash the database holds.
  'err.parameters',
  'err.driverError.parameters',
];

/**
 * Nest's start-up lines that say nothing an operator acts on: one per module and per route, and the
 * route lines print the controller's path without the version (`/api/audit-logs` for
 * `/api/v1/audit-logs`). The OpenAPI document (`/docs`) lists the routes as they are.
 */
const START_UP_NOISE = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** Whether pino-pretty is installed: a dev dependency, absent from the production image. */
function prettyInstalled(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/**
 * pino's options: JSON lines, readable ones in development (pino-pretty, a dev dependency; JSON
 * still where it is not installed).
 */
export function pinoOptions(config: AppConfig): LoggerOptions {
  return {
    level: config.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    hooks: {
      logMethod(args, method) {
        const [first] = args as unknown[];
        const context = (first as { context?: unknown } | null)?.context;
        if (typeof context === 'string' && START_UP_NOISE.has(context)) return;
        method.apply(this, args);
      },
    },
    ...(config.env === 'development' && prettyInstalled()
      ? {
          transport: {
            target: 'pino-pretty',
            options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true },
          },
        }
      : {}),
  };
}

/**
 * JSON logs through pino: Nest's Logger for the application's own lines, and RequestLogMiddleware
 * for one line per request.
 *
 * nestjs-pino's own per-request middleware (pino-http) is not mounted (no routes): it builds a
 * request-bound child logger for every request, serialised and redacted at once whatever the level,
 * and binds it with AsyncLocalStorage, which on Node 20 makes every promise of the process cost more.
 * Without them a page of tasks costs about a fifth less CPU (bench/README.md). Lines logged while a
 * request is handled carry its id where it matters (the error filter, the rate limiter) instead.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig): Params => ({
        forRoutes: [],
        pinoHttp: pinoOptions(config),
      }),
    }),
  ],
  providers: [RequestLogMiddleware],
})
export class LoggingModule {}
