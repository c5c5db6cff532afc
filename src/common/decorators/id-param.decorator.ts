import { Param, ParseUUIDPipe } from '@nestjs/common';
import { CommonError, CommonErrorCode } from '../errors/common.errors';

/** The `:id` of a route: every id of the API is a UUID, anything else a 400 invalid-id. */
export const IdParam = () =>
  Param(
    'id',
    new ParseUUIDPipe({
      exceptionFactory: () => new CommonError(CommonErrorCode.InvalidId, 'id must be a UUID.'),
    }),
  );
