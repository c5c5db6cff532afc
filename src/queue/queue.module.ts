import { BullModule, BullRootModuleOptions } from '@nestjs/bull';
import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { TaskQueue } from './task-queue.service';
import { QueueName, QUEUES } from './tasks.queue';

/**
 * Shared by every queue: the Redis of the configuration (host, port, credentials and database index
 * from REDIS_URL), keys under REDIS_KEY_PREFIX.
 *
 * The command connection gives up on a command after one reconnection attempt, so a producer learns
 * within about a second that Redis is down (and leaves the task to the reconciler) instead of
 * waiting minutes in ioredis' offline queue. Bull itself sets the blocking and subscriber
 * connections to wait forever, as it requires. (Bull closes only the connections it creates, hence
 * options rather than a createClient factory.)
 *
 * No CLIENT SETINFO handshake (disableClientInfo). Bull turns ioredis' ready check off, so a
 * connection is declared ready as soon as its handshake commands settle, without checking that
 * they belonged to the connection still in use. When a connection dropped during its handshake
 * (Redis accepting connections but silent, then dropping them), the reconnection path rejected
 * those commands (maxRetriesPerRequest), and the late "ready" marked the client ready over the
 * dead socket and refused the reconnection already scheduled: the queue stayed down until a
 * restart. Without handshake commands a connection is ready the moment it connects, so no late
 * "ready" can outlive it.
 */
export function bullRootOptions(config: AppConfig): BullRootModuleOptions {
  return {
    url: config.redis.url,
    prefix: config.redis.keyPrefix,
    redis: {
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      disableClientInfo: true,
      retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
      ...(new URL(config.redis.url).protocol === 'rediss:' ? { tls: {} } : {}),
    },
  };
}

/**
 * The tasks queue and its producer (TaskQueue), for the task API that adds jobs and for the
 * execution module whose reconciler puts lost ones back. Every process has the queue: workers
 * consume it, api processes only produce, and health, metrics and Bull Board read it.
 */
@Module({
  imports: [
    BullModule.forRootAsync({ inject: [AppConfig], useFactory: bullRootOptions }),
    BullModule.registerQueueAsync({
      name: QueueName.Tasks,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ settings: QUEUES[QueueName.Tasks].settings(config) }),
    }),
  ],
  providers: [TaskQueue],
  exports: [BullModule, TaskQueue],
})
export class QueueModule {}
