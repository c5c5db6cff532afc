import { HttpException, NotFoundException } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { STATUS_CODES } from 'node:http';
import { COMMON_PROBLEM_TYPES, CommonError, CommonErrorCode } from '../errors/common.errors';
import { DomainError, problemTypeUri } from '../errors/domain-error';
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
export class ValidationFailedException extends CommonError {
  constructor(readonly errors: FieldError[]) {
    super(CommonErrorCode.ValidationFailed, 'The request is invalid; see errors for each field.');
  }
}

/** Errors that body-parser raises before a route runs; they carry a status meant for clients. */
interface ClientFacingError {
  status: number;
  expose: true;
  type?: string;
}

/** body-parser's error types, as problems; any other is UnreadableBody. */
const BODY_PARSER_ERRORS: Record<string, { code: CommonErrorCode; detail: string }> = {
  'entity.too.large': {
    code: CommonErrorCode.PayloadTooLarge,
    detail: 'The request body is larger than 1 MiB.',
  },
  'entity.parse.failed': {
    code: CommonErrorCode.InvalidJson,
    detail: 'The request body is not valid JSON.',
  },
  'encoding.unsupported': {
    code: CommonErrorCode.UnsupportedContentEncoding,
    detail: 'The request body encoding is not supported.',
  },
  'charset.unsupported': {
    code: CommonErrorCode.UnsupportedCharset,
    detail: 'The request body charset is not supported.',
  },
  'request.aborted': {
    code: CommonErrorCode.RequestAborted,
    detail: 'The request was aborted before its body was read.',
  },
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

/** The type of errors that say no more than their status (RFC 9457): unknown ones, the 500. */
const ABOUT_BLANK = 'about:blank';

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
 * What a client is told about an error. A module's DomainError is answered as its code's table
 * says (status, title, `urn:ymera:problem:<code>`) with its message as detail; the few framework
 * exceptions Ymera knows get their type here. Anything not known to be safe to show is a 500 that
 * says only that the server failed: no messages, SQL or stack traces leave the process.
 */
export function toProblem(error: unknown, request: Request): ProblemDetails {
  if (error instanceof DomainError) {
    const { status, title } = error.problemType;
    return problem(request, {
      type: error.typeUri,
      title,
      status,
      detail: error.message,
      ...(error instanceof ValidationFailedException ? { errors: error.errors } : {}),
    });
  }
  if (error instanceof ThrottlerException) {
    return commonProblem(
      request,
      CommonErrorCode.RateLimited,
      'Too many requests; retry after the number of seconds in Retry-After.',
    );
  }
  // Services, guards and pipes throw coded errors, so a NotFoundException is Nest's answer to a
  // method and path no route has ("Cannot GET /nowhere").
  if (error instanceof NotFoundException) {
    return commonProblem(request, CommonErrorCode.RouteNotFound, httpExceptionDetail(error));
  }
  // What Nest maps from Express itself (a path parameter that is not valid percent-encoding).
  if (error instanceof HttpException && error.getStatus() === 400) {
    return commonProblem(request, CommonErrorCode.BadRequest, httpExceptionDetail(error));
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return problem(request, {
      type: ABOUT_BLANK,
      title: STATUS_CODES[status] ?? 'Error',
      status,
      detail:
        status >= 500 ? 'The server could not handle the request.' : httpExceptionDetail(error),
    });
  }
  if (isClientFacing(error)) {
    const known = BODY_PARSER_ERRORS[error.type ?? ''];
    const code = known?.code ?? CommonErrorCode.UnreadableBody;
    // body-parser's status stands (415 for an encoding, 400 for most).
    return problem(request, {
      type: problemTypeUri(code),
      title: COMMON_PROBLEM_TYPES[code].title,
      status: error.status,
      detail: known?.detail ?? 'The request could not be read.',
    });
  }
  return problem(request, {
    type: ABOUT_BLANK,
    title: STATUS_CODES[500]!,
    status: 500,
    detail: 'The server failed to handle the request. Quote the requestId when reporting it.',
  });
}

function commonProblem(request: Request, code: CommonErrorCode, detail: string): ProblemDetails {
  const { status, title } = COMMON_PROBLEM_TYPES[code];
  return problem(request, { type: problemTypeUri(code), title, status, detail });
}

export function sendProblem(response: Response, problem: ProblemDetails): void {
  response.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}
