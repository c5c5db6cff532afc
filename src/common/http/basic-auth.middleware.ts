import { UnauthorizedException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';
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
 */
export function basicAuth(expected: BasicCredentials, realm: string) {
  const user = digest(expected.user);
  const password = digest(expected.password);
  const challenge = `Basic realm="${realm}"`;
  return (request: Request, response: Response, next: NextFunction): void => {
    const given = parseBasicAuthorization(request.headers.authorization);
    const userMatches = timingSafeEqual(digest(given?.user ?? ''), user);
    const passwordMatches = timingSafeEqual(digest(given?.password ?? ''), password);
    if (given && userMatches && passwordMatches) return next();
    response.setHeader('WWW-Authenticate', challenge);
    const detail = given ? 'The credentials are not valid.' : 'Credentials are required.';
    sendProblem(response, toProblem(new UnauthorizedException(detail), request));
  };
}
