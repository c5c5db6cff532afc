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
} from 'class-validator';
import { BoundedJson } from '../../common/decorators/bounded-json.decorator';
import { JsonObject } from '../../common/json';
import { TASK_TYPE_PATTERN } from '../../common/task-type';
import { TASK_PRIORITIES, TaskPriority } from '../entities/task.entity';

export const MAX_PARAMETERS_BYTES = 256 * 1024;
const MAX_PARAMETERS_DEPTH = 32;
export const MIN_TIMEOUT_MS = 100;
export const MAX_TIMEOUT_MS = 3_600_000;
export const MAX_ATTEMPTS = 10;

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
  // Bounded: it is stored, and sent to the agent on every attempt.
  @BoundedJson({ maxBytes: MAX_PARAMETERS_BYTES, maxDepth: MAX_PARAMETERS_DEPTH })
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
  /** The HTTP contract's name; inside Ymera (task row, queue job, routing) it is requestedAgentId. */
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
