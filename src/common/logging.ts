import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
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
      useFactory: (config: AppConfig) => ({
        forRoutes: [],
        pinoHttp: {
          level: config.logLevel,
          redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
        },
      }),
    }),
  ],
  providers: [RequestLogMiddleware],
})
export class LoggingModule {}
