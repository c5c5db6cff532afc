import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, MaxLength, Min } from 'class-validator';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/** Query strings arrive as text; anything not a number stays as it is for the validators to refuse. */
function toNumber(value: unknown): unknown {
  return typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
}

/** skip/limit/cursor, shared by every list endpoint. A limit over the maximum is clamped, not refused. */
export class ListQueryDto {
  @ApiPropertyOptional({ minimum: 0, default: 0, description: 'Items to skip' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => toNumber(value))
  @IsInt()
  @Min(0)
  skip = 0;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: MAX_LIMIT,
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
  limit = DEFAULT_LIMIT;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}
