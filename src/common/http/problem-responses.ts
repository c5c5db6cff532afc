import { getSchemaPath, ResponseObject } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
import { PROBLEM_TYPE_BASE } from '../errors/domain-error';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { ProblemDetailsDto } from './problem-details.dto';

/** What each error status means across the API, for statuses documented without a description. */
const DESCRIPTIONS: Record<number, string> = {
  400: 'The request is invalid; for validation failures, errors lists each field',
  401: 'A valid access token is required',
  403: 'The caller is authenticated but its role does not allow this',
  404: 'Not found, or not visible to the caller',
  409: 'Conflicts with the current state of the resource',
  413: 'The request body is larger than 1 MiB',
  415: 'The request body is not JSON, or in an encoding or charset the server does not read',
  429: 'Rate limited; retry after the number of seconds in Retry-After',
  500: 'The server failed; quote the requestId when reporting it',
  503: 'A dependency is unavailable; retry shortly',
};

const DETAILS: Record<number, string> = {
  400: 'The request is invalid; see errors for each field.',
  401: 'An access token is required: send Authorization: Bearer <accessToken>.',
  403: 'This action needs the admin role.',
  404: 'Not found.',
  409: 'The resource conflicts with its current state.',
  413: 'The request body is larger than 1 MiB.',
  415: 'The request body must be JSON: send it with Content-Type: application/json.',
  429: 'Too many requests; retry after the number of seconds in Retry-After.',
  500: 'The server failed to handle the request. Quote the requestId when reporting it.',
  503: 'A dependency is unavailable; retry shortly.',
};

export function problemDescription(status: number): string {
  return DESCRIPTIONS[status] ?? STATUS_CODES[status] ?? 'Error';
}

export interface ProblemExampleOptions {
  /** The path of the request (a concrete one: no {param} templates). */
  instance: string;
  /** What the route says about this status, used as the detail when given. */
  detail?: string;
  /** A field of the route's input, named in a validation failure's errors. */
  field?: string;
  /** The problem type (about:blank when none) and its title (the status's phrase when none). */
  type?: string;
  title?: string;
}

const VALIDATION_TYPE = `${PROBLEM_TYPE_BASE}validation-error`;

/** An example body for `status`, shaped as problem.ts produces it. */
export function problemExample(
  status: number,
  {
    instance,
    detail,
    field,
    type = 'about:blank',
    title = STATUS_CODES[status] ?? 'Error',
  }: ProblemExampleOptions,
): Record<string, unknown> {
  const validation = type === VALIDATION_TYPE;
  const example: Record<string, unknown> = {
    type,
    title,
    status,
    detail: validation ? DETAILS[400] : sentence(detail) || DETAILS[status] || title,
    instance,
    requestId: '0f9b3f7e-3c55-4a8e-9a51-6d2f8e1c4b2a',
  };
  if (validation && field) example.errors = [{ field, message: `${field} is not valid` }];
  return example;
}

/**
 * The problem type a route documents for one of its error responses, for the document builder to
 * complete into a whole example (openapi.ts).
 */
export interface ProblemTypeHint {
  type: string;
}

export function isProblemTypeHint(example: unknown): example is ProblemTypeHint {
  return (
    typeof example === 'object' &&
    example !== null &&
    Object.keys(example).length === 1 &&
    typeof (example as Partial<ProblemTypeHint>).type === 'string'
  );
}

function sentence(text: string | undefined): string {
  if (!text) return '';
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** The media type every error response is documented with, with the problem type when known. */
export function problemContent(type?: string): NonNullable<ResponseObject['content']> {
  const hint: ProblemTypeHint | undefined = type ? { type } : undefined;
  return {
    [PROBLEM_CONTENT_TYPE]: {
      schema: { $ref: getSchemaPath(ProblemDetailsDto) },
      ...(hint ? { example: hint } : {}),
    },
  };
}

export const RETRY_AFTER_HEADER = {
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer', minimum: 1 },
  },
} as const;
