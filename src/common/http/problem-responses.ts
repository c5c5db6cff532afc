import { getSchemaPath, ResponseObject } from '@nestjs/swagger';
import { STATUS_CODES } from 'node:http';
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
  429: 'Rate limited; retry after the number of seconds in Retry-After',
  500: 'The server failed; quote the requestId when reporting it',
  503: 'A dependency is unavailable; retry shortly',
};

/** The problem types problem.ts names (urn:ymera:problem:<slug>); the others are about:blank. */
const SLUGS: Record<number, string> = { 400: 'validation-error', 429: 'rate-limited' };

const DETAILS: Record<number, string> = {
  400: 'The request is invalid; see errors for each field.',
  401: 'A valid access token is required.',
  403: 'This action needs the admin role.',
  404: 'Not found.',
  409: 'The resource conflicts with its current state.',
  413: 'The request body is larger than 1 MiB.',
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
  /** A field of the route's input, named in a 400's errors. */
  field?: string;
}

/** An example body for `status`, shaped as problem.ts produces it. */
export function problemExample(
  status: number,
  { instance, detail, field }: ProblemExampleOptions,
): Record<string, unknown> {
  const title = STATUS_CODES[status] ?? 'Error';
  const example: Record<string, unknown> = {
    type: SLUGS[status] ? `urn:ymera:problem:${SLUGS[status]}` : 'about:blank',
    title: status === 400 ? 'Validation failed' : title,
    status,
    detail: status === 400 ? DETAILS[400] : sentence(detail) || DETAILS[status] || title,
    instance,
    requestId: '0f9b3f7e-3c55-4a8e-9a51-6d2f8e1c4b2a',
  };
  if (status === 400 && field) example.errors = [{ field, message: `${field} is not valid` }];
  return example;
}

function sentence(text: string | undefined): string {
  if (!text) return '';
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** The media type every error response is documented with. */
export function problemContent(): NonNullable<ResponseObject['content']> {
  return { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(ProblemDetailsDto) } } };
}

export const RETRY_AFTER_HEADER = {
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer', minimum: 1 },
  },
} as const;
