import {
  BadRequestException,
  NotFoundException,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { Request } from 'express';
import { CommonError, CommonErrorCode } from '../errors/common.errors';
import { toProblem, ValidationFailedException } from './problem';

const request = { originalUrl: '/api/v1/things?x=1', id: 'req-1' } as unknown as Request;

/** An error as body-parser raises it (http-errors): a client-facing status and its type. */
function bodyParserError(status: number, type: string): Error {
  return Object.assign(new Error(`raw parser text at position 12 (${type})`), {
    status,
    statusCode: status,
    expose: true,
    type,
  });
}

describe('toProblem', () => {
  it('answers a validation failure with its field errors, under the type it always had', () => {
    const errors = [{ field: 'name', message: 'name should not be empty' }];
    expect(toProblem(new ValidationFailedException(errors), request)).toEqual({
      type: 'urn:ymera:problem:validation-error',
      title: 'Validation failed',
      status: 400,
      detail: 'The request is invalid; see errors for each field.',
      instance: '/api/v1/things',
      requestId: 'req-1',
      errors,
    });
  });

  it('answers the throttler as rate-limited', () => {
    expect(toProblem(new ThrottlerException(), request)).toMatchObject({
      type: 'urn:ymera:problem:rate-limited',
      title: 'Too Many Requests',
      status: 429,
      detail: 'Too many requests; retry after the number of seconds in Retry-After.',
    });
  });

  it("answers Nest's 404 for a method and path no route has as route-not-found", () => {
    expect(toProblem(new NotFoundException('Cannot GET /nowhere'), request)).toMatchObject({
      type: 'urn:ymera:problem:route-not-found',
      title: 'Route not found',
      status: 404,
      detail: 'Cannot GET /nowhere',
    });
  });

  it('shows a coded 5xx its message: it is written for clients', () => {
    const error = new CommonError(CommonErrorCode.RateLimiterUnavailable, 'Retry shortly.');
    expect(toProblem(error, request)).toMatchObject({
      type: 'urn:ymera:problem:rate-limiter-unavailable',
      status: 503,
      detail: 'Retry shortly.',
    });
  });

  it.each([
    ['entity.too.large', 413, 'payload-too-large', 'The request body is larger than 1 MiB.'],
    ['entity.parse.failed', 400, 'invalid-json', 'The request body is not valid JSON.'],
    [
      'encoding.unsupported',
      415,
      'unsupported-content-encoding',
      'The request body encoding is not supported.',
    ],
    [
      'charset.unsupported',
      415,
      'unsupported-charset',
      'The request body charset is not supported.',
    ],
    [
      'request.aborted',
      400,
      'request-aborted',
      'The request was aborted before its body was read.',
    ],
    ['request.size.invalid', 400, 'unreadable-body', 'The request could not be read.'],
  ])('answers body-parser %s as %i %s without its own text', (type, status, code, detail) => {
    expect(toProblem(bodyParserError(status, type), request)).toMatchObject({
      type: `urn:ymera:problem:${code}`,
      status,
      detail,
    });
  });

  it('leaves an HTTP exception without a code at about:blank, with its status and message', () => {
    expect(toProblem(new UnauthorizedException('No.'), request)).toMatchObject({
      type: 'about:blank',
      title: 'Unauthorized',
      status: 401,
      detail: 'No.',
    });
  });

  it('gives an uncoded 400 (what Nest maps from Express itself) the bad-request type', () => {
    expect(toProblem(new BadRequestException(['a is bad', 'b is bad']), request)).toMatchObject({
      type: 'urn:ymera:problem:bad-request',
      title: 'Bad request',
      status: 400,
      detail: 'a is bad; b is bad',
    });
  });

  it('hides the message of an uncoded 5xx HTTP exception', () => {
    const error = new ServiceUnavailableException('redis at 10.0.0.3:6379 refused');
    expect(toProblem(error, request)).toMatchObject({
      type: 'about:blank',
      status: 503,
      detail: 'The server could not handle the request.',
    });
  });

  it.each([
    ['an Error', new Error('relation "users" does not exist')],
    ['a body-parser 5xx', bodyParserError(500, 'stream.not.readable')],
    ['a thrown string', 'SELECT 1'],
    ['null', null],
  ])('answers %s as a generic 500 with nothing internal', (_case, error) => {
    expect(toProblem(error, request)).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'The server failed to handle the request. Quote the requestId when reporting it.',
      instance: '/api/v1/things',
      requestId: 'req-1',
    });
  });
});
