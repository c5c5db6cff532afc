import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request } from 'express';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** A client's id is echoed only when it is a short, safe token, never something that could forge logs. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The id given to a request by the middleware below. */
export function requestIdOf(request: Request): string {
  return typeof request.id === 'string' ? request.id : '';
}

/**
 * The first middleware: every request, even one refused before routing, gets an id. It works on
 * node:http's request and response, so probes answered ahead of Express get one too.
 */
export function requestId(
  request: IncomingMessage,
  response: ServerResponse,
  next: () => void,
): void {
  const given = request.headers['x-request-id'];
  request.id = typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
  response.setHeader(REQUEST_ID_HEADER, request.id);
  next();
}
