import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Min,
  ValidateBy,
  ValidateNested,
} from 'class-validator';
import { JsonValue } from '../../common/json';
import { TASK_STATUSES, TaskStatus } from '../../tasks/entities/task.entity';
import { MAX_REPORT_MESSAGE_LENGTH } from './report-progress.dto';

/** The longest error message taken; what is kept of it is at most 1,000 characters. */
const MAX_ERROR_MESSAGE_LENGTH = 10_000;

export class ReportedErrorDto {
  @ApiProperty({
    maxLength: MAX_ERROR_MESSAGE_LENGTH,
    description: `Why the task failed, shown to its owner (at most ${MAX_REPORT_MESSAGE_LENGTH} characters kept)`,
    example: 'parameters.url is not a PDF',
  })
  @IsString()
  @Length(1, MAX_ERROR_MESSAGE_LENGTH)
  message: string;

  @ApiProperty({
    description: 'true: retried with backoff while attempts remain; false: the task fails now',
  })
  @IsBoolean()
  retryable: boolean;
}

/** `result` or `error`, exactly one of them. */
function ResultOrError(): PropertyDecorator {
  return ValidateBy({
    name: 'resultOrError',
    validator: {
      validate: (value: unknown, args) =>
        (value === undefined) !== ((args?.object as ReportResultDto).error === undefined),
      defaultMessage: () => 'exactly one of result and error must be given',
    },
  });
}

export class ReportResultDto {
  @ApiProperty({
    minimum: 1,
    description: 'The attempt reported on (the dispatch\'s "attempt")',
    example: 1,
  })
  @IsInt()
  @Min(1)
  attempt: number;

  @ApiPropertyOptional({
    // Any JSON value, null included.
    oneOf: [
      { type: 'object', additionalProperties: true, nullable: true },
      { type: 'array', items: {} },
      { type: 'string' },
      { type: 'number' },
      { type: 'boolean' },
    ],
    description: 'The task is done: its result (any JSON value). Give this or error.',
    example: { summary: 'Revenue grew 4%.' },
  })
  @ResultOrError()
  result?: JsonValue;

  @ApiPropertyOptional({
    type: ReportedErrorDto,
    description: 'The task failed. Give this or result.',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ReportedErrorDto)
  error?: ReportedErrorDto;
}

export const RESULT_EXAMPLE: ReportResultDto = {
  attempt: 1,
  result: { summary: 'Revenue grew 4%.' },
};

export const ERROR_EXAMPLE: ReportResultDto = {
  attempt: 1,
  error: { message: 'parameters.url is not a PDF', retryable: false },
};

export class ReportResultResponseDto {
  @ApiProperty({
    enum: TASK_STATUSES,
    description: 'The task after the report: completed, pending (to be retried) or failed',
  })
  status: TaskStatus;
}
