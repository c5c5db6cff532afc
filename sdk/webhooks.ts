import type { IncomingHttpHeaders } from 'node:http';
import { Webhook, WebhookVerificationError as LibraryError } from 'standardwebhooks';
import type { WebhookTaskEvent } from './protocol';

/**
 * The receiving side of Ymera's webhooks (README, "Webhooks"): verify a delivery and read the
 * task event it carries. Deliveries follow Standard Webhooks, so any of its libraries verifies
 * them too; this one is the `standardwebhooks` package with the payload typed.
 */

// The payload types are generated from the OpenAPI document's `webhooks` (sdk/protocol.ts).
export type { WebhookTaskEvent, WebhookTaskEventData } from './protocol';

/** Request headers of every delivery (lower case, as Node exposes them). */
export const WebhookHeader = {
  Id: 'webhook-id',
  Timestamp: 'webhook-timestamp',
  Signature: 'webhook-signature',
} as const;

export type WebhookRejection =
  /** A webhook-id, webhook-timestamp or webhook-signature header is missing or malformed. */
  | 'bad-headers'
  /** No signature of this body, id and timestamp with this secret. */
  | 'bad-signature'
  /** Signed, but the timestamp is more than 5 minutes from now: possibly a replay. */
  | 'stale-timestamp'
  /** Signed, but not the JSON body of a task event. */
  | 'malformed-body';

/** Why a request is not a delivery from Ymera to act on. */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';

  constructor(
    readonly reason: WebhookRejection,
    message: string,
  ) {
    super(message);
  }

  /** 401 when the request cannot be trusted, 400 when a trusted request makes no sense. */
  get status(): 400 | 401 {
    return this.reason === 'malformed-body' ? 400 : 401;
  }
}

type HeadersInput = IncomingHttpHeaders | Headers | Record<string, string | string[] | undefined>;

function headerRecord(headers: HeadersInput): Record<string, string> {
  const names = Object.values(WebhookHeader);
  const record: Record<string, string> = {};
  for (const name of names) {
    const value =
      typeof (headers as Headers).get === 'function'
        ? (headers as Headers).get(name)
        : (headers as Record<string, unknown>)[name];
    if (typeof value === 'string') record[name] = value;
  }
  return record;
}

function rejectionOf(error: LibraryError): WebhookRejection {
  if (/timestamp too (old|new)/i.test(error.message)) return 'stale-timestamp';
  if (/signature found/i.test(error.message)) return 'bad-signature';
  return 'bad-headers';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTaskEvent(value: unknown): value is WebhookTaskEvent {
  if (!isObject(value) || !isObject(value.data)) return false;
  const { data } = value;
  return (
    typeof value.type === 'string' &&
    typeof value.timestamp === 'string' &&
    data.type === value.type &&
    typeof data.taskId === 'string' &&
    Number.isInteger(data.eventId)
  );
}

/**
 * Checks that a request is a delivery from Ymera and returns its payload; throws a
 * WebhookVerificationError otherwise. `secret` is the webhook's secret as its creation answered it
 * (`whsec_...`); `rawBody` the body exactly as received, before any JSON parsing. The signature
 * covers webhook-id, webhook-timestamp and the body, and the timestamp must be within 5 minutes
 * of this clock. The same message may come twice (a retry after a lost answer): deduplicate on
 * webhook-id (or data.eventId).
 */
export function verifyWebhook(
  secret: string,
  headers: HeadersInput,
  rawBody: string | Uint8Array,
): WebhookTaskEvent {
  let verifier: Webhook;
  try {
    verifier = new Webhook(secret);
  } catch {
    throw new TypeError('secret is not a webhook secret (whsec_ and base64)');
  }
  const body = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8');
  let payload: unknown;
  try {
    payload = verifier.verify(body, headerRecord(headers));
  } catch (error) {
    if (error instanceof LibraryError) {
      throw new WebhookVerificationError(rejectionOf(error), error.message);
    }
    // Signed, but JSON.parse refused the body.
    throw new WebhookVerificationError('malformed-body', 'the body is not JSON');
  }
  if (!isTaskEvent(payload)) {
    throw new WebhookVerificationError('malformed-body', 'the body is not a task event');
  }
  return payload;
}
