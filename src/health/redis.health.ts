import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import Redis from 'ioredis';
import { InjectRedis } from '../redis/redis.module';
import { pingWithin } from './redis-ping';

/** Terminus ships no Redis indicator: a PING with a deadline is enough. */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @InjectRedis() private readonly redis: Redis,
  ) {}

  async pingCheck(key: string) {
    const check = this.health.check(key);
    try {
      await pingWithin(this.redis, 'Redis PING');
      return check.up();
    } catch {
      return check.down({ message: 'Redis is not reachable' });
    }
  }
}
