import type Redis from 'ioredis';
import { withDeadline } from '../common/async/deadline';

/** How long a readiness probe waits for Redis before calling it down. */
export const PING_TIMEOUT_MS = 1000;

/** Resolves when `client` answers PING within the deadline; rejects otherwise. */
export async function pingWithin(client: Redis, what: string): Promise<void> {
  await withDeadline(client.ping(), PING_TIMEOUT_MS, what);
}
