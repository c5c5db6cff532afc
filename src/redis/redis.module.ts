import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';

export const REDIS = Symbol('REDIS');
export const InjectRedis = () => Inject(REDIS);

/**
 * One shared connection for rate limits and health checks. Commands fail at once while Redis is
 * unreachable (no offline queue), so callers decide quickly whether to fail open or closed.
 */
async function connect(config: AppConfig): Promise<Redis> {
  const logger = new Logger('Redis');
  const client = new Redis(config.redis.url, {
    keyPrefix: `${config.redis.keyPrefix}:`,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let reported = false;
  client.on('error', (error: Error) => {
    if (!reported) logger.error(`Redis unreachable: ${error.message}`);
    reported = true;
  });
  client.on('ready', () => {
    if (reported) logger.log('Redis reachable again');
    reported = false;
  });
  // A Redis that is down at start is not fatal: health reports it and the client keeps retrying.
  await client.connect().catch(() => undefined);
  return client;
}

@Injectable()
class RedisShutdown implements OnApplicationShutdown {
  constructor(@InjectRedis() private readonly redis: Redis) {}

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}

@Global()
@Module({
  providers: [{ provide: REDIS, inject: [AppConfig], useFactory: connect }, RedisShutdown],
  exports: [REDIS],
})
export class RedisModule {}
