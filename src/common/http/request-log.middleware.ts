import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { PinoLogger } from 'nestjs-pino';
import type { Level } from 'pino';
import { eventStreamOpenedAt } from './event-stream';
import { requestIdOf } from './request-id';

/** Probes and scrapes are not logged: they would drown the requests that matter. */
const UNLOGGED = /^\/(health|metrics)(\/|\?|$)/;

/** info for an answer, warn for a client error (4xx), error for a server error (5xx). */
export function requestLogLevel(status: number): Level {
  return status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
}

/**
 * One JSON line per request once it is over: its id, method, URL, status and time in
 * milliseconds ("request completed"), or "request aborted" (warn) when the client went away before
 * the answer was sent (but for an event stream, which its client closing is the usual end of:
 * markEventStream). Installed right after the request id (bootstrap.ts), so requests refused
 * before routing (a malformed or oversized body, an unknown path) are logged too. Nothing is built
 * for a request whose line's level is off.
 */
@Injectable()
export class RequestLogMiddleware {
  constructor(private readonly log: PinoLogger) {}

  readonly handle = (request: Request, response: Response, next: NextFunction): void => {
    if (UNLOGGED.test(request.url)) return next();
    const started = process.hrtime.bigint();
    response.once('close', () => {
      const completed = response.writableFinished || eventStreamOpenedAt(response) !== undefined;
      const level = completed ? requestLogLevel(response.statusCode) : 'warn';
      const logger = this.log.logger;
      if (!logger.isLevelEnabled(level)) return;
      const microseconds = Number((process.hrtime.bigint() - started) / 1000n);
      logger[level](
        {
          req: { id: requestIdOf(request), method: request.method, url: request.originalUrl },
          // The logger's `res` serializer (pino-http's, nestjs-pino's root logger since its 5.x)
          // writes the status only of a response whose headers were sent: a plain object says so.
          res: { statusCode: response.statusCode, headersSent: response.headersSent },
          responseTime: microseconds / 1000,
        },
        completed ? 'request completed' : 'request aborted',
      );
    });
    next();
  };
}
