import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { AuthenticatedUser } from '../common/decorators/current-user.decorator';
import { FINAL_TASK_STATUSES } from './entities/task.entity';
import { TaskEventHub } from './task-event-hub.service';
import { StreamCaller, TaskEventStream } from './task-event-stream';
import { TasksError, TasksErrorCode } from './tasks.errors';
import { TasksService } from './tasks.service';

/** A decimal event id: up to 15 digits, all exact as JavaScript numbers. */
const EVENT_ID = /^[0-9]{1,15}$/;

/**
 * Where a stream resumes: the Last-Event-ID header (what EventSource sends when it reconnects),
 * else the lastEventId query parameter (its first URL), else null. An empty header is no header:
 * clients send it only with an id.
 */
export function resumeAfter(header: string | undefined, query: string | undefined): number | null {
  const given = header || query;
  if (given === undefined || given === '') return null;
  if (!EVENT_ID.test(given)) {
    throw new TasksError(
      TasksErrorCode.InvalidLastEventId,
      'Last-Event-ID must be the id of an event: a decimal integer (of at most 15 digits).',
    );
  }
  return Number(given);
}

/** Who opens a stream, with what, and until when it holds (the guard's credential). */
function streamCaller(actor: AuthenticatedUser): StreamCaller {
  const { credential } = actor;
  return {
    userId: actor.id,
    keyHash: credential.type === 'api_key' ? credential.keyHash : null,
    expiresAt: credential.expiresAt?.getTime() ?? null,
  };
}

/** The event streams of GET /api/v1/tasks/:id/events and GET /api/v1/tasks/events. */
@Injectable()
export class TaskEventStreams {
  constructor(
    private readonly hub: TaskEventHub,
    private readonly tasks: TasksService,
  ) {}

  /**
   * One task's events (its owner's, or an admin's; 404 otherwise), from its first or after
   * `after`, until its terminal event.
   */
  async ofTask(
    actor: AuthenticatedUser,
    taskId: string,
    after: number | null,
    response: Response,
  ): Promise<void> {
    const task = await this.tasks.get(actor, taskId);
    const stream = this.stream(response, actor, task.ownerId, { taskId }, after ?? 0);
    await this.hub.follow(stream, FINAL_TASK_STATUSES.includes(task.status));
  }

  /** The events of the caller's own tasks, narrowed by `filter`: after `after`, or from now on. */
  async ofOwner(
    actor: AuthenticatedUser,
    filter: { status?: string; taskType?: string },
    after: number | null,
    response: Response,
  ): Promise<void> {
    const start = after ?? (await this.hub.horizon());
    await this.hub.follow(this.stream(response, actor, actor.id, filter, start));
  }

  private stream(
    response: Response,
    actor: AuthenticatedUser,
    ownerId: string,
    filter: ConstructorParameters<typeof TaskEventStream>[2],
    after: number,
  ): TaskEventStream {
    return new TaskEventStream(
      response,
      ownerId,
      filter,
      after,
      this.hub.limits,
      this.hub,
      streamCaller(actor),
    );
  }
}
