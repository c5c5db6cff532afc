import { createHmac } from 'node:crypto';

/** Headers of every request to an agent (lower case, as Node exposes them to a receiving agent). */
export const DispatchHeader = {
  Event: 'x-ymera-event',
  TaskId: 'x-ymera-task-id',
  Attempt: 'x-ymera-attempt',
  Timestamp: 'x-ymera-timestamp',
  Signature: 'x-ymera-signature',
} as const;

/** What a request to an http agent carries (X-Ymera-Event), its body's shape with it. */
export type AgentEvent = 'task.dispatch' | 'task.cancel';

const SCHEME = 'sha256=';

/**
 * `sha256=<hex HMAC-SHA256(signingSecret, timestamp + "." + rawBody)>` (docs/agent-protocol.md). The key is the
 * signing secret string as UTF-8; the timestamp is Unix time in seconds, so an agent can refuse
 * stale (replayed) requests.
 */
export function signBody(secret: string, timestamp: string, rawBody: string | Buffer): string {
  return (
    SCHEME + createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex')
  );
}

export function unixSeconds(now = Date.now()): string {
  return String(Math.floor(now / 1000));
}

/**
 * The headers of a message to an http agent: the event, its task and attempt, and the signature
 * over the timestamp and `body` (docs/agent-protocol.md, "A dispatch").
 */
export function signedHeaders(
  secret: string,
  event: AgentEvent,
  message: { taskId: string; attempt: number },
  body: string,
): Record<string, string> {
  const timestamp = unixSeconds();
  return {
    [DispatchHeader.Event]: event,
    [DispatchHeader.TaskId]: message.taskId,
    [DispatchHeader.Attempt]: String(message.attempt),
    [DispatchHeader.Timestamp]: timestamp,
    [DispatchHeader.Signature]: signBody(secret, timestamp, body),
  };
}
