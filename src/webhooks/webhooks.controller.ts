import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/decorators/api-problem-responses.decorator';
import { Client, ClientContext } from '../common/decorators/client-context.decorator';
import { Scopes } from '../common/decorators/credentials.decorator';
import { AuthenticatedUser, CurrentUser } from '../common/decorators/current-user.decorator';
import { IdParam } from '../common/decorators/id-param.decorator';
import { ApiPage } from '../common/pagination/api-page.decorator';
import { ListQueryDto } from '../common/pagination/list-query.dto';
import { Page } from '../common/pagination/page';
import { CREATE_WEBHOOK_EXAMPLE, CreateWebhookDto } from './dto/create-webhook.dto';
import { WebhookDeliveryDto } from './dto/webhook-delivery.dto';
import { CreatedWebhookDto, WebhookDto } from './dto/webhook.dto';
import { WebhooksErrorCode } from './webhooks.errors';
import { WebhooksService } from './webhooks.service';

const WEBHOOK_NOT_FOUND = {
  status: 404,
  description: 'No such webhook, or not yours',
  code: WebhooksErrorCode.WebhookNotFound,
};

/** Documents the :id of a webhook route. */
const ApiWebhookId = () =>
  ApiParam({
    name: 'id',
    format: 'uuid',
    description: 'The id of the webhook (from POST or GET /api/v1/webhooks)',
  });

/** A user's webhooks: signed deliveries of their task events (README, "Webhooks"). */
@ApiTags('webhooks')
@ApiBearerAuth()
@Controller({ path: 'webhooks', version: '1' })
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @Scopes('webhooks:write')
  @ApiOperation({
    summary: 'Create a webhook',
    description:
      "Subscribes a URL to the caller's task events: each event of the kinds in `events` that " +
      'happens from now on is POSTed to it, signed the Standard Webhooks way with the `secret` ' +
      'of this answer (shown only here), and retried with exponential backoff until it is ' +
      'answered 2xx (the `webhooks` of this document: `task-event`). No test delivery is sent. ' +
      '400 when the url is refused by the SSRF policy (endpoint-refused) or an event name is ' +
      'unknown. Recorded as webhook.create.',
  })
  @ApiBody({
    type: CreateWebhookDto,
    examples: { webhook: { summary: 'Finished tasks', value: CREATE_WEBHOOK_EXAMPLE } },
  })
  @ApiCreatedResponse({ type: CreatedWebhookDto, description: 'The secret is shown only here' })
  @ApiBadRequestResponse({ description: 'Invalid input, or a url the SSRF policy refuses' })
  create(
    @CurrentUser() user: AuthenticatedUser,
    @Body() dto: CreateWebhookDto,
    @Client() client: ClientContext,
  ): Promise<CreatedWebhookDto> {
    return this.webhooks.create(user, dto, client);
  }

  @Get()
  @Scopes('webhooks:read')
  @ApiOperation({
    summary: 'List webhooks',
    description:
      "The caller's own webhooks (an admin's too: nobody lists anyone else's), newest first, " +
      'without their secrets.',
  })
  @ApiPage(WebhookDto, 'Your webhooks, newest first')
  list(
    @CurrentUser() user: AuthenticatedUser,
    @Query() query: ListQueryDto,
  ): Promise<Page<WebhookDto>> {
    return this.webhooks.list(user, query);
  }

  @Delete(':id')
  @Scopes('webhooks:write')
  @ApiOperation({
    summary: 'Delete a webhook',
    description:
      "Deletes one of the caller's webhooks with its deliveries: nothing more is sent to it " +
      '(a delivery already on its way when it is deleted may still arrive). 404 when there is ' +
      "no such webhook or it is someone else's. Recorded as webhook.delete.",
  })
  @ApiWebhookId()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblemResponses(WEBHOOK_NOT_FOUND)
  delete(
    @CurrentUser() user: AuthenticatedUser,
    @IdParam() id: string,
    @Client() client: ClientContext,
  ): Promise<void> {
    return this.webhooks.delete(user, id, client);
  }

  @Get(':id/deliveries')
  @Scopes('webhooks:read')
  @ApiOperation({
    summary: 'List the deliveries of a webhook',
    description:
      'Every delivery attempt of the webhook, newest first: one item per attempt (a message ' +
      'retried twice is three items with the same eventId and messageId), pending until it is ' +
      "sent. 404 when there is no such webhook or it is someone else's.",
  })
  @ApiWebhookId()
  @ApiPage(WebhookDeliveryDto, 'Delivery attempts, newest first')
  @ApiProblemResponses(WEBHOOK_NOT_FOUND)
  deliveries(
    @CurrentUser() user: AuthenticatedUser,
    @IdParam() id: string,
    @Query() query: ListQueryDto,
  ): Promise<Page<WebhookDeliveryDto>> {
    return this.webhooks.deliveries(user, id, query);
  }
}
