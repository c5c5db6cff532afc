import { json, NextFunction, Request, Response } from 'express';
import { CommonError, CommonErrorCode } from '../errors/common.errors';
import { jsonDepth } from '../json';
import { FieldError, sendProblem, toProblem, ValidationFailedException } from './problem';

export const BODY_LIMIT = '1mb';
/** The media type API bodies are read as (body-parser's json() default, stated once). */
const JSON_TYPE = 'application/json';
/**
 * Deeper JSON than any DTO needs. Validation and class-transformer recurse through a body, so a
 * few kilobytes of nesting would otherwise exhaust the stack before any rule is checked.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Property names that reach or shadow what every object inherits: `__proto__`, `constructor`,
 * `prototype`, and Object.prototype's members (`toString`, `hasOwnProperty`...). JSON.parse makes
 * them own properties, which class-transformer then drops without a word, and which a free-form
 * field (task `parameters`, agent `config`) would carry on to whatever merges it: a prototype
 * pollution risk. They are refused anywhere in a body (README, "Security behaviour").
 */
const RESERVED_KEYS: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  'prototype',
]);

/** One error per reserved property name in a parsed JSON value, breadth first, without recursion. */
export function reservedKeyErrors(value: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const queue: [unknown, string][] = [[value, '']];
  for (let i = 0; i < queue.length; i += 1) {
    const [current, path] = queue[i];
    if (current === null || typeof current !== 'object') continue;
    for (const [key, child] of Object.entries(current)) {
      const field = path ? `${path}.${key}` : key;
      if (RESERVED_KEYS.has(key)) {
        errors.push({ field, message: `property ${key} is a reserved name and not allowed` });
      }
      queue.push([child, field]);
    }
  }
  return errors;
}

/** Why a parsed body is refused before validation, or undefined when it may go on. */
function refusal(body: unknown): Error | undefined {
  if (jsonDepth(body) > MAX_JSON_DEPTH) {
    return new CommonError(
      CommonErrorCode.BodyTooDeep,
      `The request body is nested deeper than ${MAX_JSON_DEPTH} levels.`,
    );
  }
  const reserved = reservedKeyErrors(body);
  return reserved.length > 0 ? new ValidationFailedException(reserved) : undefined;
}

/** Methods whose API routes read a JSON body. */
const BODY_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);

/**
 * A body the JSON parser would pass over, on an API route: a form, text, or no Content-Type at
 * all. Left to validation it would read as an empty object and be answered with field errors
 * that never say what is wrong. Only under /api/, whose routes all take JSON: Bull Board (under
 * /admin/queues) reads its own requests. A request with no body (POST /tasks/:id/cancel) needs no
 * Content-Type.
 */
export function isNonJsonApiBody(request: Request): boolean {
  if (!BODY_METHODS.has(request.method) || !request.path.startsWith('/api/')) return false;
  const length = Number(request.headers['content-length'] ?? 0);
  const hasBody = request.headers['transfer-encoding'] !== undefined || length > 0;
  return hasBody && !request.is(JSON_TYPE);
}

/**
 * JSON bodies up to 1 MiB and 64 levels deep, without reserved property names; on API routes, no
 * body of another type (415). body-parser fails before any Nest route runs, so its errors (413,
 * malformed JSON) are answered here, through the same problem-details mapping as the global filter.
 */
export function jsonBody() {
  const parse = json({ limit: BODY_LIMIT, type: JSON_TYPE });
  return (request: Request, response: Response, next: NextFunction) => {
    if (isNonJsonApiBody(request)) {
      const refused = new CommonError(
        CommonErrorCode.UnsupportedMediaType,
        'The request body must be JSON: send it with Content-Type: application/json.',
      );
      return sendProblem(response, toProblem(refused, request));
    }
    return parse(request, response, (error?: unknown) => {
      error ??= refusal(request.body);
      return error ? sendProblem(response, toProblem(error, request)) : next();
    });
  };
}
