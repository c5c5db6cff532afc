import { randomBytes } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { agentMessage, cleanAgentText } from '../dispatch/classify';
import type { AgentReply } from '../dispatch/classify';
import { TaskEvent, taskEventJson } from '../execution/task-events.service';

/** Headers of a delivery (Standard Webhooks; lower case, as Node exposes them to a receiver). */
export const WebhookHeader = {
  Id: 'webhook-id',
  Timestamp: 'webhook-timestamp',
  Signature: 'webhook-signature',
} as const;

/** The User-Agent of every delivery. */
export const WEBHOOK_USER_AGENT = 'Ymera-Webhooks/1';

/** The longest wait between two attempts, whatever the base and the attempt. */
const MAX_RETRY_DELAY_MS = 24 * 3_600_000;

/** A new signing secret in the Standard Webhooks form: `whsec_` and base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/**
 * The webhook-id of the message carrying event `eventId` to webhook `webhookId`: the same for
 * every attempt, so a receiver that got it twice (a retry after a lost answer, a worker that died
 * mid-delivery) can tell.
 */
export function webhookMessageId(webhookId: string, eventId: string | number): string {
  return `msg_${webhookId.replace(/-/g, '')}_${eventId}`;
}

/** The body of a delivery: `{ type, timestamp, data }`, data the event as clients see it. */
export interface WebhookPayload {
  type: string;
  timestamp: string;
  data: ReturnType<typeof taskEventJson> & { eventId: number };
}

export function webhookPayload(event: TaskEvent): WebhookPayload {
  return {
    type: event.type,
    timestamp: event.at.toISOString(),
    data: { ...taskEventJson(event), eventId: event.id },
  };
}

/** The Standard Webhooks headers of `body`, signed with `secret` at `now`. */
export function signedWebhookHeaders(
  secret: string,
  messageId: string,
  body: string,
  now = new Date(),
): Record<string, string> {
  return {
    [WebhookHeader.Id]: messageId,
    [WebhookHeader.Timestamp]: String(Math.floor(now.getTime() / 1000)),
    [WebhookHeader.Signature]: new StandardWebhook(secret).sign(messageId, now, body),
  };
}

/** How long after a failed attempt `attempt` the next one is due: base * 2^(attempt-1). */
export function retryDelayMs(baseMs: number, attempt: number): number {
  return Math.min(baseMs * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
}

/** Whether the receiver took the delivery: any 2xx. */
export function delivered(reply: AgentReply): boolean {
  return reply.kind === 'response' && reply.status >= 200 && reply.status < 300;
}

/**
 * Why a delivery failed, for its owner: the status and the start of what the receiver said (at
 * most 1,000 characters, as of an agent's answer), or what kept it from answering. The body
 * itself is never kept.
 */
export function deliveryError(reply: AgentReply): string {
  switch (reply.kind) {
    case 'response': {
      const said = agentMessage(reply.body);
      return said ? `HTTP ${reply.status}: ${said}` : `HTTP ${reply.status}`;
    }
    case 'timeout':
      return `no answer within ${reply.timeoutMs} ms`;
    case 'network':
      return `could not reach the receiver: ${cleanAgentText(reply.code ?? reply.message)}`;
    case 'aborted':
      return reply.reason;
  }
}
