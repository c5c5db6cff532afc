import { ApiProperty } from '@nestjs/swagger';
import { WEBHOOK_EVENT_NAMES } from '../webhook-events';
import { Webhook } from '../entities/webhook.entity';

/** A webhook as its owner sees it: never its secret. */
export class WebhookDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'https://93.184.215.14/ymera-webhooks' }) url: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_NAMES, isArray: true, example: ['task.completed'] })
  events: string[];
  @ApiProperty({ nullable: true, type: String, example: 'Notify the billing service' })
  description: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;

  static from(this: void, webhook: Webhook): WebhookDto {
    return {
      id: webhook.id,
      url: webhook.url,
      events: webhook.events,
      description: webhook.description,
      createdAt: webhook.createdAt.toISOString(),
    };
  }
}

/** The create answer: the only time the secret is ever shown. */
export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description:
      'The Standard Webhooks signing secret (`whsec_` and base64 of 32 random bytes): verify ' +
      'each delivery with it. Shown only in this response.',
  })
  secret: string;
}
