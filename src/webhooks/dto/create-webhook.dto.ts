import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Length,
  MaxLength,
} from 'class-validator';
import { WEBHOOK_EVENT_NAMES } from '../webhook-events';

/** The request example of the OpenAPI document: a public address, so it is created as it is. */
export const EXAMPLE_WEBHOOK_URL = 'https://93.184.215.14/ymera-webhooks';

export class CreateWebhookDto {
  @ApiProperty({
    maxLength: 2048,
    description:
      'Where deliveries are POSTed: an http(s) URL that passes the same SSRF policy as agent ' +
      'endpoints (public addresses, or AGENT_ENDPOINT_ALLOWLIST), checked now and before every ' +
      'delivery',
    example: EXAMPLE_WEBHOOK_URL,
  })
  @IsString()
  @Length(1, 2048)
  url: string;

  @ApiProperty({
    enum: WEBHOOK_EVENT_NAMES,
    isArray: true,
    minItems: 1,
    maxItems: WEBHOOK_EVENT_NAMES.length,
    uniqueItems: true,
    description: 'The task events to receive; "task.*" for every one',
    example: ['task.completed', 'task.failed'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_NAMES.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENT_NAMES, { each: true })
  events: string[];

  @ApiPropertyOptional({
    maxLength: 500,
    description: 'What the webhook is for, for people',
    example: 'Notify the billing service',
  })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}

export const CREATE_WEBHOOK_EXAMPLE: CreateWebhookDto = {
  url: EXAMPLE_WEBHOOK_URL,
  events: ['task.completed', 'task.failed'],
  description: 'Notify the billing service',
};
