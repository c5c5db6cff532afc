import { Injectable } from '@nestjs/common';
import { AuditAction } from '../audit/audit-actions';
import { AuditService } from '../audit/audit.service';
import { ClientContext } from '../common/decorators/client-context.decorator';
import { AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { ListQueryDto } from '../common/pagination/list-query.dto';
import { mapPage, Page } from '../common/pagination/page';
import { EndpointPolicy } from '../dispatch/endpoint-policy';
import { TaskEventsService } from '../execution/task-events.service';
import { CreateWebhookDto } from './dto/create-webhook.dto';
import { WebhookDeliveryDto } from './dto/webhook-delivery.dto';
import { CreatedWebhookDto, WebhookDto } from './dto/webhook.dto';
import { newWebhookSecret } from './webhook-message';
import { WebhooksError, WebhooksErrorCode } from './webhooks.errors';
import { WebhooksRepository } from './webhooks.repository';

const NOT_FOUND = () => new WebhooksError(WebhooksErrorCode.WebhookNotFound, 'Webhook not found.');

/**
 * A user's webhooks: created, listed and deleted by their owner only (an admin too sees only
 * their own: a webhook carries its owner's events to a URL of theirs).
 */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly repository: WebhooksRepository,
    private readonly audit: AuditService,
    private readonly endpoints: EndpointPolicy,
    private readonly events: TaskEventsService,
  ) {}

  /**
   * Creates the webhook, starting after the owner's last event: with the owner's fan-out cursor
   * locked, so no fan-out runs between reading that event and the webhook's commit.
   */
  async create(
    actor: AuthenticatedUser,
    dto: CreateWebhookDto,
    client: ClientContext,
  ): Promise<CreatedWebhookDto> {
    const endpoint = await this.endpoints.assertAllowed(dto.url, 'url');
    const secret = newWebhookSecret();
    return this.repository.transaction(async (manager) => {
      await this.repository.lockCursor(manager, actor.id);
      const lastEventId = await this.events.lastId(actor.id, manager);
      await this.repository.skipCursorIfUnused(manager, actor.id, lastEventId);
      const webhook = await this.repository.insertWebhook(manager, {
        ownerId: actor.id,
        url: dto.url,
        events: dto.events,
        description: dto.description ?? null,
        secret,
        startEventId: lastEventId,
      });
      await this.audit.record(
        {
          action: AuditAction.WebhookCreate,
          actorId: actor.id,
          resourceType: 'webhook',
          resourceId: webhook.id,
          client,
          details: { urlHost: endpoint.url.host, events: webhook.events },
        },
        manager,
      );
      return { ...WebhookDto.from(webhook), secret };
    });
  }

  async list(actor: AuthenticatedUser, query: ListQueryDto): Promise<Page<WebhookDto>> {
    return mapPage(await this.repository.listWebhooks(actor.id, query), WebhookDto.from);
  }

  /** Deletes the webhook: no delivery is sent for it from then on, and its deliveries are gone. */
  async delete(actor: AuthenticatedUser, id: string, client: ClientContext): Promise<void> {
    await this.repository.transaction(async (manager) => {
      const deleted = await this.repository.deleteWebhook(manager, actor.id, id);
      if (!deleted) throw NOT_FOUND();
      await this.audit.record(
        {
          action: AuditAction.WebhookDelete,
          actorId: actor.id,
          resourceType: 'webhook',
          resourceId: deleted.id,
          client,
          details: { urlHost: new URL(deleted.url).host, events: deleted.events },
        },
        manager,
      );
    });
  }

  async deliveries(
    actor: AuthenticatedUser,
    id: string,
    query: ListQueryDto,
  ): Promise<Page<WebhookDeliveryDto>> {
    if (!(await this.repository.exists(actor.id, id))) throw NOT_FOUND();
    return mapPage(await this.repository.listDeliveries(id, query), WebhookDeliveryDto.from);
  }
}
