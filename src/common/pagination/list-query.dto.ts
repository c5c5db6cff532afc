import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** Query strings arrive as text; anything not a number stays as it is for the validators to refuse. */
function toNumber(value: unknown): unknown {
  return typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
}

/** skip/limit/cursor, shared by every list endpoint. A limit over the maximum is clamped, not refused. */
export class ListQueryDto {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, default: 0, description: 'Items to skip' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => toNumber(value))
  @IsInt()
  @Min(0)
  // PostgreSQL's OFFSET is a bigint; anything beyond exact JavaScript integers is refused here.
  @Max(Number.MAX_SAFE_INTEGER)
  skip: number = 0;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    default: DEFAULT_LIMIT,
    description: `Page size; values over ${MAX_LIMIT} are clamped to ${MAX_LIMIT}`,
  })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => {
    const limit = toNumber(value);
    return typeof limit === 'number' ? Math.min(limit, MAX_LIMIT) : limit;
  })
  @IsInt()
  @Min(1)
  limit: number = DEFAULT_LIMIT;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}
