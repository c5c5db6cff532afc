import { RequestMethod } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';

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
 * Probes and scrapes: never logged, so they get no request logger at all. Building one (a pino child
 * bound to the request, serialised and redacted at once, whatever the level) was the largest single
 * cost of a GET /health.
 */
const UNLOGGED_ROUTES = [
  { path: 'health', method: RequestMethod.GET },
  { path: 'health/live', method: RequestMethod.GET },
  { path: 'metrics', method: RequestMethod.GET },
];

/** JSON logs, one line per request with its id; probes and scrapes are not logged. */
export function loggerModule() {
  return LoggerModule.forRootAsync({
    inject: [AppConfig],
    useFactory: (config: AppConfig) => ({
      exclude: UNLOGGED_ROUTES,
      pinoHttp: {
        level: config.logLevel,
        genReqId: (request) => request.id,
        redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
        autoLogging: {
          ignore: (request) => /^\/(health|metrics)(\/|$)/.test(request.url ?? ''),
        },
        customLogLevel: (_request, response, error) =>
          error || response.statusCode >= 500
            ? 'error'
            : response.statusCode >= 400
              ? 'warn'
              : 'info',
        serializers: {
          req: (request: { id: string; method: string; url: string }) => ({
            id: request.id,
            method: request.method,
            url: request.url,
          }),
          res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
        },
      },
    }),
  });
}
