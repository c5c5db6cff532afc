import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNumber, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { JsonObject } from '../../common/json';
import { BoundedJson } from '../../common/decorators/bounded-json.decorator';

/** The most of `data` a progress report keeps (it is stored with the attempt). */
export const MAX_PROGRESS_DATA_BYTES = 16 * 1024;
export const MAX_REPORT_MESSAGE_LENGTH = 1000;

export class ReportProgressDto {
  @ApiProperty({
    minimum: 1,
    description: 'The attempt the progress is about (the dispatch\'s "attempt")',
    example: 1,
  })
  @IsInt()
  @Min(1)
  attempt: number;

  @ApiPropertyOptional({ maxLength: MAX_REPORT_MESSAGE_LENGTH, example: 'Read 12 of 40 pages' })
  @IsOptional()
  @IsString()
  @Length(1, MAX_REPORT_MESSAGE_LENGTH)
  message?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 100, example: 30 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(100)
  percent?: number;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: `Anything else to say about the progress; a JSON object of at most ${MAX_PROGRESS_DATA_BYTES} bytes`,
    example: { pagesRead: 12 },
  })
  @IsOptional()
  @BoundedJson({ maxBytes: MAX_PROGRESS_DATA_BYTES, maxDepth: 16 })
  data?: JsonObject;
}

export const PROGRESS_EXAMPLE: ReportProgressDto = {
  attempt: 1,
  message: 'Read 12 of 40 pages',
  percent: 30,
};
