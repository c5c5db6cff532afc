import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
} from 'class-validator';
import { BoundedJson } from '../../common/decorators/bounded-json.decorator';
import { MAX_SCHEDULE_TIMEOUT_MS, MIN_SCHEDULE_TIMEOUT_MS } from '../../config/app-config';
import { isInstant } from '../../common/instant';
import { JsonObject } from '../../common/json';
import { TASK_TYPE_PATTERN } from '../../common/task-type';
import { TASK_PRIORITIES, TaskPriority } from '../entities/task.entity';

export const MAX_PARAMETERS_BYTES = 256 * 1024;
const MAX_PARAMETERS_DEPTH = 32;
export const MIN_TIMEOUT_MS = 100;
export const MAX_TIMEOUT_MS = 3_600_000;
export const MAX_ATTEMPTS = 10;
/** How far ahead runAt may be. */
export const MAX_RUN_AHEAD_MS = 366 * 24 * 3_600_000;

/** An instant no further ahead than MAX_RUN_AHEAD_MS (one in the past means now). */
const RunAt = () =>
  ValidateBy({
    name: 'runAt',
    validator: {
      validate: (value: unknown) =>
        isInstant(value) && Date.parse(value) <= Date.now() + MAX_RUN_AHEAD_MS,
      defaultMessage: (args) =>
        `${args?.property} must be an ISO-8601 time with a time zone, at most 366 days ahead`,
    },
  });

const EXAMPLE_PARAMETERS = { url: 'https://example.com/q3.pdf', maxWords: 200 };

export class CreateTaskDto {
  @ApiProperty({
    minLength: 1,
    maxLength: 200,
    description: 'A name for people; not unique',
    example: 'Summarise Q3 report',
  })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiPropertyOptional({
    maxLength: 2000,
    nullable: true,
    type: String,
    description: 'What the task is for, for people; not sent to the agent',
    example: 'The quarterly report, in five bullet points',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiProperty({
    minLength: 1,
    maxLength: 100,
    pattern: TASK_TYPE_PATTERN.source,
    description: 'Routed to an active agent whose capabilities contain it',
    example: 'summarize',
  })
  @IsString()
  @Length(1, 100)
  @Matches(TASK_TYPE_PATTERN, {
    message:
      'taskType must start with a letter or digit and contain only letters, digits, . _ : / -',
  })
  taskType: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: `Sent to the agent as is; a JSON object of at most ${MAX_PARAMETERS_BYTES} bytes`,
    default: {},
    example: EXAMPLE_PARAMETERS,
  })
  @IsOptional()
  // Bounded: it is stored, and sent to the agent on every attempt.
  @BoundedJson({ maxBytes: MAX_PARAMETERS_BYTES, maxDepth: MAX_PARAMETERS_DEPTH })
  parameters?: JsonObject;

  @ApiPropertyOptional({
    enum: TASK_PRIORITIES,
    default: 'normal',
    description: 'Higher priorities are taken from the queue first',
  })
  @IsOptional()
  @IsIn(TASK_PRIORITIES)
  priority?: TaskPriority;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      'The id of one of your agents (see GET /api/v1/agents) to run the task on, and no other; ' +
      'when absent, any active agent of yours whose capabilities contain taskType. An id that ' +
      'names no agent of yours is refused (400 unknown-agent)',
  })
  @IsOptional()
  @IsUUID()
  /** The HTTP contract's name; inside Ymera (task row, queue job, routing) it is requestedAgentId. */
  agentId?: string;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_ATTEMPTS,
    default: 3,
    description: 'Attempts in all, the first included; only transient failures are retried',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_ATTEMPTS)
  maxAttempts?: number;

  @ApiPropertyOptional({
    minimum: MIN_TIMEOUT_MS,
    maximum: MAX_TIMEOUT_MS,
    description: 'Per-attempt timeout; the server default (TASK_DISPATCH_TIMEOUT_MS) when absent',
    example: 30_000,
  })
  @IsOptional()
  @IsInt()
  @Min(MIN_TIMEOUT_MS)
  @Max(MAX_TIMEOUT_MS)
  timeoutMs?: number;

  @ApiPropertyOptional({
    minimum: MIN_SCHEDULE_TIMEOUT_MS,
    maximum: MAX_SCHEDULE_TIMEOUT_MS,
    description:
      'How long the task may wait for an agent (none active with its capability, the named ' +
      'agent inactive, or all their slots taken) before it fails; waiting spends no attempt. ' +
      'The server default (TASK_SCHEDULE_TIMEOUT_MS, 600000) when absent',
    example: 600_000,
  })
  @IsOptional()
  @IsInt()
  @Min(MIN_SCHEDULE_TIMEOUT_MS)
  @Max(MAX_SCHEDULE_TIMEOUT_MS)
  scheduleTimeoutMs?: number;

  @ApiPropertyOptional({
    format: 'date-time',
    description:
      'Not dispatched before this time (ISO 8601 with a time zone, at most 366 days ahead): the ' +
      'task stays pending until then. A time in the past means now. scheduleTimeoutMs counts ' +
      'from it. Dispatched at once when absent',
  })
  @IsOptional()
  @RunAt()
  runAt?: string;
}

/**
 * The request example of the OpenAPI document: valid as it is, so Swagger UI's try-out succeeds
 * (no agentId: a placeholder id would name no agent of the caller's).
 */
export const CREATE_TASK_EXAMPLE: CreateTaskDto = {
  name: 'Summarise Q3 report',
  description: 'The quarterly report, in five bullet points',
  taskType: 'summarize',
  parameters: EXAMPLE_PARAMETERS,
  priority: 'normal',
  maxAttempts: 3,
  timeoutMs: 30_000,
  scheduleTimeoutMs: 600_000,
};
