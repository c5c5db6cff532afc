import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { preparedQuery } from '../database/prepared-query';
import {
  OWNER_EVENTS_AFTER,
  OWNER_LAST_EVENT_ID,
  TASK_EVENTS_AFTER,
  TASK_EVENTS_CHANNEL,
} from './task-events.sql';

/** The names of task events (the SSE `event:` field, a webhook's `type`). */
export const TASK_EVENT_TYPES = [
  'task.created',
  'task.started',
  'task.progress',
  'task.retrying',
  'task.completed',
  'task.failed',
  'task.cancelled',
  'task.retried',
] as const;

/** One stored task event (README, "Following a task"). */
export interface TaskEvent {
  /** Increases across all events, in the order they were written (the SSE id, a webhook's eventId). */
  id: number;
  ownerId: string;
  taskId: string;
  /** task.created, task.started, task.progress, task.retrying, task.completed, task.failed... */
  type: string;
  /** The task's status after the event. */
  status: string;
  taskType: string;
  /** The attempt concerned, when one is. */
  attempt: number | null;
  data: unknown;
  at: Date;
}

/** Narrows a read of one owner's events: to one task, or by the task's status and type. */
export type TaskEventFilter = { taskId: string } | { status?: string; taskType?: string };

export interface TaskEventRow {
  owner_id: string;
  id: string;
  task_id: string;
  type: string;
  status: string;
  task_type: string;
  attempt: number | null;
  data: unknown;
  at: Date;
}

/** An event as clients see it, in an SSE message's data and a webhook's payload. */
export function taskEventJson(event: TaskEvent) {
  return {
    taskId: event.taskId,
    type: event.type,
    at: event.at.toISOString(),
    status: event.status,
    ...(event.attempt === null ? {} : { attempt: event.attempt }),
    ...(event.data === null ? {} : { data: event.data }),
  };
}

/**
 * Reads of the task events the execution statements write (task-events.sql.ts), for the event
 * streams of the API and the webhook fan-out of the workers; and their announcement.
 */
@Injectable()
export class TaskEventsService {
  /** An announcement is under way; `again`: another was asked for meanwhile. */
  private announcing = false;
  private again = false;

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Up to `limit` events of `ownerId` after id `afterId` and up to `upTo` (a horizon of
   * TaskEventFeed, below which no event is still to commit), in id order, narrowed by `filter`;
   * inside `manager`'s transaction when one is given.
   */
  async after(
    ownerId: string,
    afterId: number,
    upTo: number,
    limit: number,
    filter: TaskEventFilter = {},
    manager?: EntityManager,
  ): Promise<TaskEvent[]> {
    const rows =
      'taskId' in filter
        ? await preparedQuery<TaskEventRow>(manager ?? this.dataSource, TASK_EVENTS_AFTER, [
            ownerId,
            afterId,
            upTo,
            limit,
            filter.taskId,
          ])
        : await preparedQuery<TaskEventRow>(manager ?? this.dataSource, OWNER_EVENTS_AFTER, [
            ownerId,
            afterId,
            upTo,
            limit,
            filter.status ?? null,
            filter.taskType ?? null,
          ]);
    return rows.map(fromRow);
  }

  /**
   * The id of `ownerId`'s latest committed event, 0 when it has none; inside `manager`'s
   * transaction when one is given (the webhook fan-out reads it holding its cursor's lock, on its
   * own connection rather than a second one from the pool).
   */
  async lastId(ownerId: string, manager?: EntityManager): Promise<number> {
    const [row] = await (manager ?? this.dataSource).query<{ last_id: string }[]>(
      OWNER_LAST_EVENT_ID,
      [ownerId],
    );
    return Number(row.last_id);
  }

  /**
   * Tells every process that events were written and have committed (call it after the commit):
   * one NOTIFY on TASK_EVENTS_CHANNEL at a time, those asked for meanwhile folded into the next.
   * Not in the statements that write events: a NOTIFY serialises the commits of every
   * transaction that sends one (bench/README.md). A lost announcement (the process died first)
   * delays the events until the readers' next poll (TaskEventFeed).
   */
  announce(): void {
    if (this.announcing) {
      this.again = true;
      return;
    }
    this.announcing = true;
    void this.dataSource
      .query(`SELECT pg_notify('${TASK_EVENTS_CHANNEL}', '')`)
      .catch(() => undefined)
      .finally(() => {
        this.announcing = false;
        if (this.again) {
          this.again = false;
          this.announce();
        }
      });
  }
}

export function fromRow(row: TaskEventRow): TaskEvent {
  return {
    id: Number(row.id),
    ownerId: row.owner_id,
    taskId: row.task_id,
    type: row.type,
    status: row.status,
    taskType: row.task_type,
    attempt: row.attempt,
    data: row.data,
    at: row.at,
  };
}
