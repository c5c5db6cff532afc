import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import Redis from 'ioredis';
import { InjectRedis } from '../redis/redis.module';

const PING_TIMEOUT_MS = 1000;

/** Terminus ships no Redis indicator: a PING with a deadline is enough. */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @InjectRedis() private readonly redis: Redis,
  ) {}

  async pingCheck(key: string) {
    const check = this.health.check(key);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.redis.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timeout')), PING_TIMEOUT_MS);
        }),
      ]);
      return check.up();
    } catch {
      return check.down({ message: 'Redis is not reachable' });
    } finally {
      clearTimeout(timer);
    }
  }
}
