import type { ParameterObject, SchemaObject } from '@nestjs/swagger';
import type { OpenApiWebhooks } from '../common/http/openapi-webhooks';
import { TASK_EVENT_TYPES } from '../execution/task-events.service';

/**
 * The delivery a webhook receives, as the OpenAPI 3.1 `webhooks` entry `task-event`: the user's
 * server is the server here, Ymera the client. README "Webhooks" is its prose; the schema names
 * are the types sdk/webhooks.ts returns.
 */

export const WEBHOOKS_TAG = 'webhooks';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A made-up secret, never one of a real webhook: the example signature is made with it. */
export const EXAMPLE_WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
export const EXAMPLE_MESSAGE_ID = 'msg_4d6c8c367b8a4c1e9a572a1f0c7e5b10_42';
export const EXAMPLE_TIMESTAMP = '1796160000';
/** new Webhook(EXAMPLE_WEBHOOK_SECRET).sign(id, timestamp, JSON of EXAMPLE_PAYLOAD) (a unit test checks). */
export const EXAMPLE_SIGNATURE = 'v1,gQWqD2PLkgWPVTXip06bZtLSWsfTbD1hM2o4bwX136M=';

export const EXAMPLE_PAYLOAD = {
  type: 'task.completed',
  timestamp: '2026-12-01T10:00:02.120Z',
  data: {
    taskId: '0b9e6f2c-3d1a-4c5e-9f7a-2b8c1d0e4f63',
    type: 'task.completed',
    at: '2026-12-01T10:00:02.120Z',
    status: 'completed',
    attempt: 1,
    data: { result: { words: 6 } },
    eventId: 42,
  },
};

const SCHEMAS: Record<string, SchemaObject> = {
  WebhookTaskEvent: {
    type: 'object',
    description:
      'The body of a webhook delivery (the Standard Webhooks payload shape): one task event of ' +
      "the webhook's owner. The same message may arrive more than once (a retry after an " +
      'answer that was lost, a worker that died mid-delivery): its webhook-id header (and ' +
      'data.eventId) tells them apart.',
    required: ['type', 'timestamp', 'data'],
    properties: {
      type: { type: 'string', enum: [...TASK_EVENT_TYPES], description: 'The event type' },
      timestamp: {
        type: 'string',
        format: 'date-time',
        description: 'When the event happened (data.at)',
      },
      data: ref('WebhookTaskEventData'),
    },
    additionalProperties: false,
  },
  WebhookTaskEventData: {
    type: 'object',
    description:
      'The task event as the task event streams show it, with its id: `data` is specific to ' +
      'the type (created: name, taskType, priority, runAt; started: agentId; progress: the ' +
      "agent's progress; retrying: outcome, error; completed: result; failed: error; " +
      'cancelled: previousStatus; retried: attemptsBefore).',
    required: ['eventId', 'taskId', 'type', 'at', 'status'],
    properties: {
      eventId: {
        type: 'integer',
        minimum: 1,
        description: "The event's id, increasing across all of the owner's events",
      },
      taskId: { type: 'string', format: 'uuid', description: 'The task' },
      type: { type: 'string', enum: [...TASK_EVENT_TYPES] },
      at: { type: 'string', format: 'date-time', description: 'When it happened' },
      status: { type: 'string', description: "The task's status after the event" },
      attempt: { type: 'integer', minimum: 1, description: 'The attempt concerned, when one is' },
      data: { type: 'object', additionalProperties: true, description: 'Event-specific details' },
    },
    additionalProperties: false,
  },
};

function header(name: string, description: string, schema: SchemaObject, example: string) {
  return { name, in: 'header', required: true, description, schema, example } as ParameterObject;
}

export const WEBHOOK_DELIVERY_DOCS: OpenApiWebhooks = {
  tag: {
    name: WEBHOOKS_TAG,
    description:
      'Subscriptions to your task events and their signed deliveries to your URL (webhooks: ' +
      'task-event)',
  },
  schemas: SCHEMAS,
  webhooks: {
    'task-event': {
      post: {
        operationId: 'webhookTaskEvent',
        summary: 'A task event (sent to a webhook url)',
        description:
          "POST to a webhook's url for each task event of its owner it subscribed to, signed " +
          'the Standard Webhooks way. Any 2xx within WEBHOOK_TIMEOUT_MS delivers it; anything ' +
          'else (another status, no answer, a connection error) fails the attempt, and it is ' +
          'retried after WEBHOOK_BACKOFF_BASE_MS * 2^(attempt-1) until WEBHOOK_MAX_ATTEMPTS ' +
          'attempts. Redirects are not followed. Verify it with the sdk: ' +
          '`verifyWebhook(secret, headers, rawBody)`.',
        tags: [WEBHOOKS_TAG],
        // No credentials: the receiver authenticates the message by its signature.
        security: [],
        parameters: [
          header(
            'webhook-id',
            'The message: the same for every attempt of it, different for every other',
            { type: 'string' },
            EXAMPLE_MESSAGE_ID,
          ),
          header(
            'webhook-timestamp',
            'Unix time in seconds when this attempt was signed. Refuse one far from your clock ' +
              '(the sdk allows 300 s), so that a recorded message cannot be replayed.',
            { type: 'string', pattern: '^[0-9]+$' },
            EXAMPLE_TIMESTAMP,
          ),
          header(
            'webhook-signature',
            '`v1,` and the base64 HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<raw body>`, ' +
              'keyed with the base64-decoded part of the secret after `whsec_`. The example is ' +
              'the signature of the example body at the example timestamp with the secret ' +
              `\`${EXAMPLE_WEBHOOK_SECRET}\`.`,
            { type: 'string', pattern: '^v1,[A-Za-z0-9+/]+=*$' },
            EXAMPLE_SIGNATURE,
          ),
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: ref('WebhookTaskEvent'), example: EXAMPLE_PAYLOAD },
          },
        },
        responses: {
          '2XX': { description: 'Delivered: the attempt succeeded; the body is not read' },
          default: {
            description:
              'Any other status (or no answer): the attempt failed and is retried with ' +
              'backoff while attempts remain. Answer 401 to a message whose signature does ' +
              'not verify.',
          },
        },
      },
    },
  },
};
