import { BadRequestException } from '@nestjs/common';
import { json, NextFunction, Request, Response } from 'express';
import { jsonDepth } from '../json';
import { sendProblem, toProblem } from './problem';

export const BODY_LIMIT = '1mb';
/**
 * Deeper JSON than any DTO needs. Validation and class-transformer recurse through a body, so a
 * few kilobytes of nesting would otherwise exhaust the stack before any rule is checked.
 */
export const MAX_JSON_DEPTH = 64;

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
        error = new BadRequestException(
          `The request body is nested deeper than ${MAX_JSON_DEPTH} levels.`,
        );
      }
      return error ? sendProblem(response, toProblem(error, request)) : next();
    });
}
