import { json, NextFunction, Request, Response } from 'express';
import { CommonError, CommonErrorCode } from '../errors/common.errors';
import { sendProblem, toProblem } from './problem';

export const BODY_LIMIT = '1mb';
/**
 * Deeper JSON than any DTO needs. Validation and class-transformer recurse through a body, so a
 * few kilobytes of nesting would otherwise exhaust the stack before any rule is checked.
 */
export const MAX_JSON_DEPTH = 64;

/** Depth of a parsed JSON value, measured without recursion so the check itself cannot overflow. */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * JSON bodies up to 1 MiB and 64 levels deep. body-parser fails before any Nest route runs, so its
 * errors (413, malformed JSON) are answered here, through the same problem-details mapping as the
 * global filter.
 */
export function jsonBody() {
  const parse = json({ limit: BODY_LIMIT });
  return (request: Request, response: Response, next: NextFunction) =>
    parse(request, response, (error?: unknown) => {
      if (!error && jsonDepth(request.body) > MAX_JSON_DEPTH) {
        error = new CommonError(
          CommonErrorCode.BodyTooDeep,
          `The request body is nested deeper than ${MAX_JSON_DEPTH} levels.`,
        );
      }
      return error ? sendProblem(response, toProblem(error, request)) : next();
    });
}
