import { getQueueToken } from '@nestjs/bull';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import type { Queue } from 'bull';
import { QueueName } from '../queue/tasks.queue';
import { pingWithin } from './redis-ping';

/**
 * The tasks queue is usable: the connection Bull itself sends commands on answers PING in time.
 * It is not the connection the redis indicator checks, and it may be down on its own (Bull gave up
 * reconnecting, or REDIS_URL reaches a Redis that refuses Bull's commands).
 */
@Injectable()
export class QueueHealthIndicator implements OnModuleInit {
  private queue: Queue;

  constructor(
    private readonly health: HealthIndicatorService,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** The queue is registered by the tasks module; resolved once every provider exists. */
  onModuleInit(): void {
    this.queue = this.moduleRef.get<Queue>(getQueueToken(QueueName.Tasks), { strict: false });
  }

  async pingCheck(key: string) {
    const check = this.health.check(key);
    try {
      await pingWithin(this.queue.client, 'Bull queue PING');
      return check.up();
    } catch {
      return check.down({ message: `The ${this.queue.name} queue cannot reach Redis` });
    }
  }
}
