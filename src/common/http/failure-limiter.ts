import Redis from 'ioredis';

/** Seconds a client is told to wait when a dependency it needs (Redis, PostgreSQL) is lost. */
export const UNAVAILABLE_RETRY_AFTER_S = 5;

/** One failure more; the window starts with the first (atomic, so no counter is left without expiry). */
const COUNT_FAILURE = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count`;

/** Counts a client's failed attempts (wrong credentials) in a fixed window. */
export interface FailureLimiter {
  /** Seconds the client must wait before it may try again; 0 when it may try now. */
  blockedFor(client: string): Promise<number>;
  /** Counts one failed attempt of the client. */
  failed(client: string): Promise<void>;
}

/**
 * A FailureLimiter whose counters live in Redis, so every instance shares them: `limit` failures
 * per client in `ttlS` seconds, counted from the first, then refusal until the window ends.
 * Redis errors reach the caller, which decides to fail closed.
 */
export class RedisFailureLimiter implements FailureLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly name: string,
    private readonly limit: number,
    private readonly ttlS: number,
  ) {}

  async blockedFor(client: string): Promise<number> {
    const key = this.key(client);
    const [[, count], [, ttlMs]] = (await this.redis.multi().get(key).pttl(key).exec()) as [
      [Error | null, string | null],
      [Error | null, number],
    ];
    if (Number(count ?? 0) < this.limit) return 0;
    return Math.max(1, Math.ceil(ttlMs / 1000));
  }

  async failed(client: string): Promise<void> {
    await this.redis.eval(COUNT_FAILURE, 1, this.key(client), this.ttlS * 1000);
  }

  private key(client: string): string {
    return `failures:${this.name}:${client}`;
  }
}
