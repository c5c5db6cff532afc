import { HttpException, HttpStatus } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { requestIdOf } from './request-id';

export interface FieldError {
  field: string;
  message: string;
}

/** RFC 9457 problem details, as every error of the API is answered. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId: string;
  errors?: FieldError[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A 400 whose body lists what is wrong with each field. */
export class ValidationFailedException extends HttpException {
  constructor(readonly errors: FieldError[]) {
    super('The request is invalid.', HttpStatus.BAD_REQUEST);
  }
}

/** Errors that body-parser raises before a route runs; they carry a status meant for clients. */
interface ClientFacingError {
  status: number;
  expose: true;
  type?: string;
}

const BODY_PARSER_DETAILS: Record<string, string> = {
  'entity.too.large': 'The request body is larger than 1 MiB.',
  'entity.parse.failed': 'The request body is not valid JSON.',
  'encoding.unsupported': 'The request body encoding is not supported.',
  'charset.unsupported': 'The request body charset is not supported.',
  'request.aborted': 'The request was aborted before its body was read.',
};

function isClientFacing(error: unknown): error is ClientFacingError {
  const e = error as Partial<ClientFacingError> | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    e.expose === true &&
    typeof e.status === 'number' &&
    e.status >= 400 &&
    e.status < 500
  );
}

function typeFor(status: number, slug?: string): string {
  return slug ? `urn:ymera:problem:${slug}` : 'about:blank';
}

/** RFC 9457 members first, in the order people read them. */
function problem(
  request: Request,
  fields: Omit<ProblemDetails, 'instance' | 'requestId'>,
): ProblemDetails {
  const { type, title, status, detail, errors } = fields;
  return {
    type,
    title,
    status,
    detail,
    instance: request.originalUrl.split('?')[0],
    requestId: requestIdOf(request),
    ...(errors ? { errors } : {}),
  };
}

function httpExceptionDetail(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  if (typeof message === 'string') return message;
  return exception.message;
}

/**
 * What a client is told about an error. Anything not known to be safe to show is a 500 that says
 * only that the server failed: no messages, SQL or stack traces leave the process.
 */
export function toProblem(error: unknown, request: Request): ProblemDetails {
  if (error instanceof ValidationFailedException) {
    return problem(request, {
      type: typeFor(400, 'validation-error'),
      title: 'Validation failed',
      status: 400,
      detail: 'The request is invalid; see errors for each field.',
      errors: error.errors,
    });
  }
  if (error instanceof ThrottlerException) {
    return problem(request, {
      type: typeFor(429, 'rate-limited'),
      title: STATUS_CODES[429]!,
      status: 429,
      detail: 'Too many requests; retry after the number of seconds in Retry-After.',
    });
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return problem(request, {
      type: typeFor(status),
      title: STATUS_CODES[status] ?? 'Error',
      status,
      detail:
        status >= 500 ? 'The server could not handle the request.' : httpExceptionDetail(error),
    });
  }
  if (isClientFacing(error)) {
    return problem(request, {
      type: typeFor(error.status),
      title: STATUS_CODES[error.status] ?? 'Bad Request',
      status: error.status,
      detail: BODY_PARSER_DETAILS[error.type ?? ''] ?? 'The request could not be read.',
    });
  }
  return problem(request, {
    type: typeFor(500),
    title: STATUS_CODES[500]!,
    status: 500,
    detail: 'The server failed to handle the request. Quote the requestId when reporting it.',
  });
}

export function sendProblem(response: Response, problem: ProblemDetails): void {
  response.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}
