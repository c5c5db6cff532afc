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
  ValidationOptions,
} from 'class-validator';
import { JsonObject } from '../../common/json';
import { TASK_PRIORITIES, TaskPriority } from '../entities/task.entity';

export const MAX_PARAMETERS_BYTES = 256 * 1024;
const MAX_PARAMETERS_DEPTH = 32;
export const MIN_TIMEOUT_MS = 100;
export const MAX_TIMEOUT_MS = 3_600_000;
export const MAX_ATTEMPTS = 10;
/** Task types are matched against agent capabilities, so they follow the same pattern. */
export const TASK_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/;

function depth(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Object.values(value as Record<string, unknown>);
  return 1 + (children.length ? Math.max(...children.map(depth)) : 0);
}

/** A JSON object of bounded size and nesting: it is stored, and sent to the agent on every attempt. */
function IsBoundedParameters(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isBoundedParameters',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'object' &&
          value !== null &&
          !Array.isArray(value) &&
          Buffer.byteLength(JSON.stringify(value)) <= MAX_PARAMETERS_BYTES &&
          depth(value) <= MAX_PARAMETERS_DEPTH,
        defaultMessage: () =>
          `parameters must be a JSON object of at most ${MAX_PARAMETERS_BYTES} bytes and ${MAX_PARAMETERS_DEPTH} levels`,
      },
    },
    options,
  );
}

export class CreateTaskDto {
  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Summarise Q3 report' })
  @IsString()
  @Length(1, 200)
  name: string;

  @ApiPropertyOptional({ maxLength: 2000, nullable: true, type: String })
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
  })
  @IsOptional()
  @IsBoundedParameters()
  parameters?: JsonObject;

  @ApiPropertyOptional({ enum: TASK_PRIORITIES, default: 'normal' })
  @IsOptional()
  @IsIn(TASK_PRIORITIES)
  priority?: TaskPriority;

  @ApiPropertyOptional({
    format: 'uuid',
    description: 'Run on this agent of yours only; routed by capability when absent',
  })
  @IsOptional()
  @IsUUID()
  agentId?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_ATTEMPTS, default: 3 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_ATTEMPTS)
  maxAttempts?: number;

  @ApiPropertyOptional({
    minimum: MIN_TIMEOUT_MS,
    maximum: MAX_TIMEOUT_MS,
    description: 'Per-attempt timeout; the server default (TASK_DISPATCH_TIMEOUT_MS) when absent',
  })
  @IsOptional()
  @IsInt()
  @Min(MIN_TIMEOUT_MS)
  @Max(MAX_TIMEOUT_MS)
  timeoutMs?: number;
}
