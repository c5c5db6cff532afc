import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse } from '@nestjs/swagger';
import { problemTypeUri } from '../errors/domain-error';
import { ProblemDetailsDto } from '../http/problem-details.dto';
import { problemContent, problemDescription } from '../http/problem-responses';

export type ProblemResponse =
  | number
  | {
      status: number;
      description: string;
      /** The code of the problem the route answers with this status (its example's type). */
      code?: string;
    };

/**
 * Documents the error statuses a route answers beyond the ones every route shares, as RFC 9457
 * problem details: `@ApiProblemResponses(404, { status: 409, description: 'Already finished',
 * code: TasksErrorCode.TaskAlreadyFinished })`.
 * 400 (when the route takes input), 401 (unless @Public), 403 (with @Roles), 413 (with a body),
 * 429 (unless throttling is skipped) and 500 are added to every operation by the document builder.
 */
export function ApiProblemResponses(...responses: ProblemResponse[]) {
  return applyDecorators(
    ApiExtraModels(ProblemDetailsDto),
    ...responses.map((response) => {
      const { status, description, code } =
        typeof response === 'number'
          ? { status: response, description: problemDescription(response), code: undefined }
          : response;
      const content = problemContent(code === undefined ? undefined : problemTypeUri(code));
      return ApiResponse({ status, description, content });
    }),
  );
}
