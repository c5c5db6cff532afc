import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { ChangeFeed, ChangeSubscriber } from '../database/change-feed';
import { preparedQuery } from '../database/prepared-query';
import { fromRow, TaskEvent, TaskEventRow } from './task-events.service';
import { EVENTS_AFTER, LATEST_EVENT, TASK_EVENTS_CHANNEL } from './task-events.sql';

/** Events read at once. */
const PAGE = 1000;
/** How soon a reader looks again while an id is missing below others (its writer committing). */
const GAP_RETRY_MS = 20;
/**
 * How long an id missing below others is waited for at most, when the transactions that may hold
 * it cannot be told apart from a long transaction elsewhere in the cluster.
 */
const GAP_GIVE_UP_MS = 10_000;

/** Receives the events below the horizon, once each, in id order. */
export type SettledEvents = (events: TaskEvent[]) => void;

/** An id missing below visible ones: since when, and the first transaction id not yet assigned then. */
interface Gap {
  id: number;
  xmax: bigint;
  since: number;
}

/**
 * Every task event of every owner, in id order, as they commit (README, "Following a task"), for
 * this process's event streams and webhook fan-out. Event ids come from one sequence, taken in
 * each writing statement, so they may commit out of order: a reader that delivered id 11 must
 * never see id 10 commit later. The feed keeps the horizon below which every id has committed or
 * never will, and delivers events up to it only. An id missing below a visible one was taken by
 * a transaction that had its transaction id already (eventInsert), so one running when the gap
 * was seen: once every transaction older than that snapshot's xmax has ended, the gap is final
 * (rolled back). Woken by the writers' announcements (TASK_EVENTS_CHANNEL, through ChangeFeed),
 * and by a poll every TASK_EVENTS_POLL_MS while anyone listens, for announcements lost.
 */
@Injectable()
export class TaskEventFeed implements ChangeSubscriber, OnApplicationShutdown {
  private readonly logger = new Logger(TaskEventFeed.name);
  private readonly listeners = new Set<SettledEvents>();
  /** Every id at or below it has committed or never will; null until first read. */
  private settled: number | null = null;
  private starting?: Promise<number>;
  private gap: Gap | null = null;
  private reading = false;
  private again = false;
  private poll?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ChangeFeed,
    private readonly config: AppConfig,
  ) {
    changes.subscribe(TASK_EVENTS_CHANNEL, this);
  }

  /**
   * Delivers every event that settles from now on to `listener` (the first call starts the
   * feed's connection and poll); the returned function stops it.
   */
  listen(listener: SettledEvents): () => void {
    this.listeners.add(listener);
    this.changes.isListening();
    void this.horizon().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'Task events not read; the next poll tries again');
    });
    if (!this.poll) {
      this.poll = setInterval(() => this.advance(), this.config.taskEvents.pollMs);
      this.poll.unref();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        clearInterval(this.poll);
        this.poll = undefined;
        // Nobody reads on meanwhile: the next listener starts from the latest event then.
        this.settled = null;
        this.gap = null;
      }
    };
  }

  /**
   * The horizon: every event id at or below it has committed (or never will), and the listeners
   * have had every event up to it. Reads the latest id when the feed has none yet.
   */
  horizon(): Promise<number> {
    if (this.settled !== null) return Promise.resolve(this.settled);
    this.starting ??= this.start().finally(() => (this.starting = undefined));
    return this.starting;
  }

  /** The horizon as it is now (null until the feed has started): what listeners have had. */
  current(): number | null {
    return this.settled;
  }

  changed(): void {
    this.advance();
  }

  reset(): void {
    this.advance();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearInterval(this.poll);
    clearTimeout(this.retry);
  }

  /** Reads on from the horizon; a read under way reads once more after. */
  advance(): void {
    if (this.stopped || this.listeners.size === 0) return;
    if (this.settled === null) {
      void this.horizon().catch(() => undefined);
      return;
    }
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    void this.readAll()
      .catch((error: unknown) => {
        this.logger.warn({ err: error }, 'Task events not read; the next poll tries again');
      })
      .finally(() => {
        this.reading = false;
        if (this.again) this.advance();
      });
  }

  /**
   * The latest id when no reader has begun: final once every transaction running at that moment
   * has ended (one of them may hold a lower id).
   */
  private async start(): Promise<number> {
    const since = Date.now();
    const [latest] = await this.dataSource.query<{ last_id: string; xmax: string }[]>(LATEST_EVENT);
    const xmax = BigInt(latest.xmax);
    for (;;) {
      const [now] = await this.dataSource.query<{ xmin: string }[]>(
        'SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin',
      );
      if (BigInt(now.xmin) >= xmax || Date.now() - since > GAP_GIVE_UP_MS) break;
      await sleep(GAP_RETRY_MS);
    }
    this.settled ??= Number(latest.last_id);
    this.advance();
    return this.settled;
  }

  private async readAll(): Promise<void> {
    do {
      this.again = false;
      const from = this.settled!;
      const rows = await preparedQuery<TaskEventRow & { xmin: string; xmax: string }>(
        this.dataSource,
        EVENTS_AFTER,
        [from, PAGE],
      );
      if (this.settled !== from) return; // the last listener left meanwhile
      const settled = this.settle(from, rows);
      if (settled.length > 0) {
        this.settled = settled[settled.length - 1].id;
        for (const listener of this.listeners) listener(settled);
      }
      if (rows.length === PAGE && settled.length === rows.length) this.again = true;
    } while (this.again && !this.stopped);
    if (this.gap) {
      clearTimeout(this.retry);
      this.retry = setTimeout(() => this.advance(), GAP_RETRY_MS);
      this.retry.unref();
    }
  }

  /** The events of `rows` (in id order) that follow the horizon without an unsettled gap. */
  private settle(
    from: number,
    rows: (TaskEventRow & { xmin: string; xmax: string })[],
  ): TaskEvent[] {
    const settled: TaskEvent[] = [];
    let expected = from + 1;
    for (const row of rows) {
      const id = Number(row.id);
      if (id !== expected && !this.gapFinal(expected, row)) break;
      this.gap = null;
      settled.push(fromRow(row));
      expected = id + 1;
    }
    return settled;
  }

  /** Whether the ids from `missing` up to the row's are final, noting the gap when first seen. */
  private gapFinal(missing: number, row: { xmin: string; xmax: string }): boolean {
    if (this.gap?.id !== missing) {
      this.gap = { id: missing, xmax: BigInt(row.xmax), since: Date.now() };
      return false;
    }
    if (BigInt(row.xmin) >= this.gap.xmax) return true;
    if (Date.now() - this.gap.since < GAP_GIVE_UP_MS) return false;
    this.logger.warn(
      `Task event ${missing} was missing for ${GAP_GIVE_UP_MS} ms behind a long transaction: passed over`,
    );
    return true;
  }
}
