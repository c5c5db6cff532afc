import { ApiProperty } from '@nestjs/swagger';
import { TASK_EVENT_TYPES } from '../../execution/task-events.service';
import { DeliveryStatus, WebhookDelivery } from '../entities/webhook-delivery.entity';
import { webhookMessageId } from '../webhook-message';

const STATUSES: readonly DeliveryStatus[] = ['pending', 'succeeded', 'failed'];

/** One attempt to deliver one event to a webhook. */
export class WebhookDeliveryDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: TASK_EVENT_TYPES, example: 'task.completed' }) event: string;
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: 'The task event id (the SSE `id:`), the same for every attempt of the message',
  })
  eventId: number;
  @ApiProperty({
    example: 'msg_4d6c8c367b8a4c1e9a572a1f0c7e5b10_42',
    description: 'The webhook-id header: the same for every attempt of the message',
  })
  messageId: string;
  @ApiProperty({ type: 'integer', minimum: 1, description: 'The attempt, from 1' })
  attempt: number;
  @ApiProperty({
    enum: STATUSES,
    description: 'pending: not sent yet (or being sent); succeeded: a 2xx; failed: anything else',
  })
  status: DeliveryStatus;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: "The receiver's HTTP status; null when pending or when it did not answer",
  })
  httpStatus: number | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why the attempt failed (the start of the answer, a timeout...); else null',
  })
  error: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'When the receiver answered 2xx; null otherwise',
  })
  deliveredAt: string | null;

  static from(this: void, delivery: WebhookDelivery): WebhookDeliveryDto {
    return {
      id: delivery.id,
      event: delivery.event,
      eventId: Number(delivery.eventId),
      messageId: webhookMessageId(delivery.webhookId, delivery.eventId),
      attempt: delivery.attempt,
      status: delivery.status,
      httpStatus: delivery.httpStatus,
      error: delivery.error,
      createdAt: delivery.createdAt.toISOString(),
      deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
    };
  }
}
