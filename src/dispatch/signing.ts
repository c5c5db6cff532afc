import { createHmac } from 'node:crypto';

/** Headers of every dispatch request (lower case, as Node exposes them to a receiving agent). */
export const DispatchHeader = {
  TaskId: 'x-ymera-task-id',
  Attempt: 'x-ymera-attempt',
  Timestamp: 'x-ymera-timestamp',
  Signature: 'x-ymera-signature',
} as const;

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
