import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';

export const REDIS = Symbol('REDIS');
export const InjectRedis = () => Inject(REDIS);

/** Redis answers in well under a millisecond: a command unanswered for a second means it stalled. */
const COMMAND_TIMEOUT_MS = 1000;

/**
 * One shared connection for rate limits, agent slots and health checks. Commands fail at once
 * while Redis is unreachable (no offline queue), and after COMMAND_TIMEOUT_MS while it is
 * connected but silent (a stalled Redis keeps the socket open, so nothing else would end them),
 * so callers decide quickly whether to fail open or closed. A reply that comes after the timeout
 * is still matched to its command and ignored.
 */
async function connect(config: AppConfig): Promise<Redis> {
  const logger = new Logger('Redis');
  const client = new Redis(config.redis.url, {
    keyPrefix: `${config.redis.keyPrefix}:`,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    commandTimeout: COMMAND_TIMEOUT_MS,
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
