import { ThrottlerException } from '@nestjs/throttler';
import type { NextFunction, Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
import { CommonError, CommonErrorCode } from '../errors/common.errors';
import { clientIp } from './client-ip';
import { FailureLimiter, UNAVAILABLE_RETRY_AFTER_S } from './failure-limiter';
import { sendProblem, toProblem } from './problem';

export interface BasicCredentials {
  user: string;
  password: string;
}

/** The user and password of an `Authorization: Basic ...` header (RFC 7617), if it is one. */
export function parseBasicAuthorization(header: string | undefined): BasicCredentials | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Digests have one length whatever the input, so timingSafeEqual never sees unequal lengths. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Express middleware that lets a request through only with the given basic-auth credentials.
 * User and password are both compared in constant time, always, so the answer's timing tells
 * nothing about which one (or how much of it) was right. Anything else is a 401 in problem
 * details with a WWW-Authenticate challenge, so browsers ask for credentials.
 *
 * Wrong credentials count against the client's address in `limiter`: past its limit the client is
 * refused with 429 and Retry-After, even with the right credentials, until its window ends. A
 * request without credentials (a browser's first, which draws the challenge) is not a guess and
 * is not counted. While the limiter cannot count, the board is closed (503): no guessing blind.
 */
export function basicAuth(expected: BasicCredentials, realm: string, limiter: FailureLimiter) {
  const user = digest(expected.user);
  const password = digest(expected.password);
  const challenge = `Basic realm="${realm}"`;
  const refuse = (request: Request, response: Response, error: Error) =>
    sendProblem(response, toProblem(error, request));

  /** Whether the request may pass; otherwise its answer is sent. */
  const check = async (request: Request, response: Response): Promise<boolean> => {
    const client = clientIp(request) ?? 'unknown';
    const waitS = await limiter.blockedFor(client);
    if (waitS > 0) {
      response.setHeader('Retry-After', String(waitS));
      refuse(request, response, new ThrottlerException());
      return false;
    }
    const given = parseBasicAuthorization(request.headers.authorization);
    const userMatches = timingSafeEqual(digest(given?.user ?? ''), user);
    const passwordMatches = timingSafeEqual(digest(given?.password ?? ''), password);
    if (given && userMatches && passwordMatches) return true;
    if (request.headers.authorization !== undefined) await limiter.failed(client);
    response.setHeader('WWW-Authenticate', challenge);
    const detail = given ? 'The credentials are not valid.' : 'Credentials are required.';
    refuse(request, response, new CommonError(CommonErrorCode.BasicAuthRequired, detail));
    return false;
  };

  return (request: Request, response: Response, next: NextFunction): void => {
    check(request, response).then(
      (passes) => passes && next(),
      () => {
        if (response.headersSent) return;
        response.setHeader('Retry-After', String(UNAVAILABLE_RETRY_AFTER_S));
        refuse(
          request,
          response,
          new CommonError(
            CommonErrorCode.RateLimiterUnavailable,
            'Credentials cannot be checked right now; retry shortly.',
          ),
        );
      },
    );
  };
}
