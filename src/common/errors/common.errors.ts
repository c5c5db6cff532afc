import { DomainError, ProblemTypes } from './domain-error';

/** Failures of the request itself, found before or beside any module's work. */
export enum CommonErrorCode {
  ValidationFailed = 'validation-error',
  InvalidId = 'invalid-id',
  InvalidCursor = 'invalid-cursor',
  InvalidJson = 'invalid-json',
  BodyTooDeep = 'body-too-deep',
  UnreadableBody = 'unreadable-body',
  RequestAborted = 'request-aborted',
  PayloadTooLarge = 'payload-too-large',
  UnsupportedContentEncoding = 'unsupported-content-encoding',
  UnsupportedCharset = 'unsupported-charset',
  UnsupportedMediaType = 'unsupported-media-type',
  RouteNotFound = 'route-not-found',
  BasicAuthRequired = 'basic-auth-required',
  BoardRetryDisabled = 'board-retry-disabled',
  RateLimited = 'rate-limited',
  RateLimiterUnavailable = 'rate-limiter-unavailable',
  HostRequired = 'host-required',
  MalformedRequest = 'malformed-request',
  RequestTimeout = 'request-timeout',
  UriTooLong = 'uri-too-long',
  RequestHeaderTooLarge = 'request-header-too-large',
  BadRequest = 'bad-request',
}

export const COMMON_PROBLEM_TYPES: ProblemTypes<CommonErrorCode> = {
  [CommonErrorCode.ValidationFailed]: {
    status: 400,
    title: 'Validation failed',
    meaning: 'The body or query breaks its rules; `errors` lists each field and why',
  },
  [CommonErrorCode.InvalidId]: {
    status: 400,
    title: 'Invalid id',
    meaning: 'The id in the path is not a UUID',
  },
  [CommonErrorCode.InvalidCursor]: {
    status: 400,
    title: 'Invalid cursor',
    meaning: '`cursor` is not a `nextCursor` this API returned',
  },
  [CommonErrorCode.InvalidJson]: {
    status: 400,
    title: 'Invalid JSON',
    meaning: 'The request body is not valid JSON',
  },
  [CommonErrorCode.BodyTooDeep]: {
    status: 400,
    title: 'Body nested too deep',
    meaning: 'The JSON body is nested deeper than 64 levels',
  },
  [CommonErrorCode.UnreadableBody]: {
    status: 400,
    title: 'Unreadable body',
    meaning: 'The request body could not be read as sent',
  },
  [CommonErrorCode.RequestAborted]: {
    status: 400,
    title: 'Request aborted',
    meaning: 'The client went away before its body was read',
  },
  [CommonErrorCode.PayloadTooLarge]: {
    status: 413,
    title: 'Payload too large',
    meaning: 'The request body is larger than 1 MiB',
  },
  [CommonErrorCode.UnsupportedContentEncoding]: {
    status: 415,
    title: 'Unsupported content encoding',
    meaning: 'The body is compressed with a Content-Encoding the server does not read',
  },
  [CommonErrorCode.UnsupportedCharset]: {
    status: 415,
    title: 'Unsupported charset',
    meaning: 'The body is in a charset other than UTF-8',
  },
  [CommonErrorCode.UnsupportedMediaType]: {
    status: 415,
    title: 'Unsupported media type',
    meaning:
      'The body is not JSON (a form, text, or no Content-Type): send it with Content-Type: application/json',
  },
  [CommonErrorCode.RouteNotFound]: {
    status: 404,
    title: 'Route not found',
    meaning: 'No route has this method and path (a worker process serves only health and metrics)',
  },
  [CommonErrorCode.BasicAuthRequired]: {
    status: 401,
    title: 'Credentials required',
    meaning: 'Bull Board needs its basic-auth credentials (WWW-Authenticate: Basic)',
  },
  [CommonErrorCode.BoardRetryDisabled]: {
    status: 403,
    title: 'Retry disabled',
    meaning:
      'Bull Board does not retry jobs of the tasks queue; retry the task with POST /api/v1/tasks/{id}/retry',
  },
  [CommonErrorCode.RateLimited]: {
    status: 429,
    title: 'Too Many Requests',
    meaning: 'Rate limited; retry after the number of seconds in Retry-After',
  },
  [CommonErrorCode.RateLimiterUnavailable]: {
    status: 503,
    title: 'Rate limiter unavailable',
    meaning:
      'The rate limiter cannot count (Redis is unreachable), so auth and Bull Board refuse; retry after Retry-After',
  },
  [CommonErrorCode.HostRequired]: {
    status: 400,
    title: 'Host header required',
    meaning: 'An HTTP/1.1 request came without a Host header',
  },
  [CommonErrorCode.MalformedRequest]: {
    status: 400,
    title: 'Malformed request',
    meaning: 'The request is not valid HTTP (request line or a header); the connection is closed',
  },
  [CommonErrorCode.RequestTimeout]: {
    status: 408,
    title: 'Request timeout',
    meaning: 'The request was not received in time; the connection is closed',
  },
  [CommonErrorCode.UriTooLong]: {
    status: 414,
    title: 'URI too long',
    meaning: 'The request line is longer than the server accepts (16 KiB with the headers)',
  },
  [CommonErrorCode.RequestHeaderTooLarge]: {
    status: 431,
    title: 'Request headers too large',
    meaning: 'The request headers are larger than the server accepts (16 KiB)',
  },
  [CommonErrorCode.BadRequest]: {
    status: 400,
    title: 'Bad request',
    meaning:
      'A malformed request the detail explains, such as a path parameter that is not valid percent-encoding',
  },
};

export class CommonError extends DomainError<CommonErrorCode> {
  constructor(code: CommonErrorCode, message: string) {
    super(code, message, COMMON_PROBLEM_TYPES);
  }
}
