import { Module } from '@nestjs/common';
import { DispatchModule } from '../dispatch/dispatch.module';
import { TaskEventsModule } from '../execution/task-events.module';
import { WebhookFanOut } from './webhook-fan-out.service';
import { WebhookSender } from './webhook-sender.service';
import { WebhooksRepository } from './webhooks.repository';

/**
 * Webhook deliveries: task events fanned out into deliveries (WebhookFanOut) and sent
 * (WebhookSender). What a worker runs: AppModule imports it where APP_ROLE runs workers.
 */
@Module({
  imports: [DispatchModule, TaskEventsModule],
  providers: [WebhooksRepository, WebhookFanOut, WebhookSender],
})
export class WebhookDeliveryModule {}
