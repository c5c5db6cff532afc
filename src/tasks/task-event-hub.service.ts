import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { ChangeFeed, ChangeSubscriber, EVERY_KEY } from '../database/change-feed';
import { TASK_EVENTS_CHANNEL } from '../execution/task-events.sql';
import { TaskEvent, TaskEventsService } from '../execution/task-events.service';
import { MetricsService } from '../metrics/metrics.service';
import { sseFrame, StreamEnds, TaskEventStream } from './task-event-stream';

/** Events read at once, by a stream catching up and by an owner's live fetch. */
const PAGE = 100;
/**
 * The latest events fanned out per owner, for a stream that finished catching up behind them: at
 * most this many, and this many bytes of frames (a result may be large).
 */
const RECENT = 1000;
const RECENT_BYTES = 4 * 1024 * 1024;
/** After a failed fetch (PostgreSQL unreachable), the next try. */
const RETRY_MS = 1000;

interface Fanned {
  event: TaskEvent;
  frame: string;
}

/** The open streams of one owner, and how far its events have been fanned out to them. */
interface OwnerFeed {
  ownerId: string;
  /** Streams that receive each new event as it is fetched. */
  live: Set<TaskEventStream>;
  /** Streams still catching up from the table. */
  joining: Set<TaskEventStream>;
  /** The last event id fetched and fanned out; null until a stream first goes live. */
  cursor: number | null;
  recent: Fanned[];
  /** The length of the frames in `recent`. */
  recentBytes: number;
  fetching: boolean;
  /** A notification came while fetching (or before there was a cursor): fetch again. */
  again: boolean;
  retry?: NodeJS.Timeout;
}

/**
 * Every event stream of this process (README, "Following a task"). The statement that writes an
 * owner's events notifies the owner's id at commit (TASK_EVENTS_CHANNEL); this process's one
 * ChangeFeed connection hears it, and for an owner with open streams one query reads the new
 * events (notifications that come meanwhile make one more read, not one each) and fans them out to
 * each of the owner's streams, which filter them. 1,000 streams of one owner cost one query per
 * notification. When the feed was lost or listens again, every owner's events are read again.
 *
 * A new stream first catches up from the table (its own filtered reads, paged), then joins the
 * owner's live feed: at that moment both have seen every event up to their positions, and the
 * gap between the two (when the feed went further meanwhile) is filled from the feed's latest
 * events, or by catching up again. Each stream drops what it has seen, so nothing is written twice.
 */
@Injectable()
export class TaskEventHub implements ChangeSubscriber, StreamEnds, BeforeApplicationShutdown {
  private readonly logger = new Logger(TaskEventHub.name);
  private readonly feeds = new Map<string, OwnerFeed>();
  private closing = false;

  constructor(
    private readonly changes: ChangeFeed,
    private readonly events: TaskEventsService,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {
    changes.subscribe(TASK_EVENTS_CHANNEL, this);
  }

  /** The limits every stream of this process is held to (TASK_EVENTS_* configuration). */
  get limits() {
    return this.config.taskEvents;
  }

  /**
   * Serves `stream` until it ends: catches it up from the table, then keeps it on its owner's live
   * feed. A task's stream whose task has finished (`finished`) and has no event left to send
   * answers 204. Rejects, before anything was sent, when the first read fails.
   */
  async follow(stream: TaskEventStream, finished = false): Promise<void> {
    // Starts the one LISTEN connection if no request has yet; until it listens, events reach live
    // streams when it does (reset).
    this.changes.isListening();
    const feed = this.feedOf(stream.ownerId);
    feed.joining.add(stream);
    try {
      await this.catchUp(feed, stream, finished);
    } catch (error) {
      if (!stream.opened) throw error;
      this.logger.warn({ err: error }, 'An event stream failed catching up: cut, to be resumed');
      stream.abort();
    } finally {
      feed.joining.delete(stream);
      this.dropIfIdle(feed);
    }
  }

  changed(ownerId: string): void {
    if (ownerId === EVERY_KEY) return this.reset();
    const feed = this.feeds.get(ownerId);
    if (feed) this.fetch(feed);
  }

  reset(): void {
    for (const feed of this.feeds.values()) this.fetch(feed);
  }

  /**
   * Ends every stream, so the HTTP server can close (it waits for open responses): the clients
   * reconnect, with Last-Event-ID, to another process. After SIGTERM the process goes on serving
   * for HEALTH_SHUTDOWN_DELAY_MS, readiness answering 503 (HealthProbes, whose hook Nest runs after
   * this one and which holds the server open meanwhile): the streams go on until then too, and end
   * as the server closes. A stream opened after that ends once it has caught up.
   */
  beforeApplicationShutdown(signal?: string): void {
    const delayMs = signal === 'SIGTERM' ? this.config.health.shutdownDelayMs : 0;
    if (delayMs === 0) return this.endAll();
    setTimeout(() => this.endAll(), delayMs).unref();
  }

  private endAll(): void {
    this.closing = true;
    for (const feed of this.feeds.values()) {
      for (const stream of [...feed.live, ...feed.joining]) stream.end();
      clearTimeout(feed.retry);
    }
  }

  private async catchUp(feed: OwnerFeed, stream: TaskEventStream, finished: boolean) {
    for (;;) {
      // Read first: every event up to it has committed (an owner's ids commit in order), so once
      // a page comes back short the stream has seen all of them, whether they matched or not.
      const last = await this.events.lastId(stream.ownerId);
      const page = await this.events.after(stream.ownerId, stream.lastId, PAGE, stream.filter);
      if (!stream.opened) {
        if (page.length === 0 && finished) return stream.nothingMore();
        stream.open();
        this.metrics.eventStreamsChanged(1);
      }
      for (const event of page) {
        stream.offer(event, sseFrame(event));
        await stream.drained();
        if (stream.closed) return;
      }
      if (this.closing) return stream.end();
      if (page.length === PAGE) continue;
      stream.lastId = Math.max(stream.lastId, last);
      if (this.join(feed, stream, last)) return;
    }
  }

  /**
   * Puts a stream that has caught up on its owner's live feed, unless the feed went further than
   * the stream has seen and its latest events do not cover the difference (the stream then
   * catches up again). Synchronous: no event can be fanned out in between. `last` is the owner's
   * last event id read before the stream's last read (a Last-Event-ID may claim more).
   */
  private join(feed: OwnerFeed, stream: TaskEventStream, last: number): boolean {
    if (stream.closed) return true;
    if (feed.cursor === null) {
      feed.cursor = last;
      // Notifications heard before there was a cursor may be of events after it.
      if (feed.again) this.fetch(feed);
    } else if (feed.cursor > stream.lastId) {
      const first = feed.recent[0]?.event.id;
      if (first === undefined || first > stream.lastId + 1) return false;
      for (const { event, frame } of feed.recent) stream.offer(event, frame);
    }
    if (!stream.closed) feed.live.add(stream);
    return true;
  }

  /** Reads the owner's new events and fans them out; a fetch under way reads once more after. */
  private fetch(feed: OwnerFeed): void {
    if (this.closing) return;
    if (feed.fetching || feed.cursor === null) {
      feed.again = true;
      return;
    }
    feed.fetching = true;
    void this.fetchAll(feed).finally(() => (feed.fetching = false));
  }

  private async fetchAll(feed: OwnerFeed): Promise<void> {
    try {
      do {
        feed.again = false;
        const events = await this.events.after(feed.ownerId, feed.cursor!, PAGE);
        this.fanOut(feed, events);
        if (events.length === PAGE) feed.again = true;
      } while (feed.again && !this.closing && this.feeds.get(feed.ownerId) === feed);
    } catch (error) {
      this.logger.warn({ err: error }, `Task events not read; trying again in ${RETRY_MS} ms`);
      clearTimeout(feed.retry);
      feed.retry = setTimeout(() => {
        if (this.feeds.get(feed.ownerId) === feed) this.fetch(feed);
      }, RETRY_MS);
      feed.retry.unref();
    }
  }

  private fanOut(feed: OwnerFeed, events: TaskEvent[]): void {
    if (events.length === 0) return;
    const now = Date.now();
    for (const event of events) {
      const frame = sseFrame(event);
      feed.recent.push({ event, frame });
      feed.recentBytes += frame.length;
      for (const stream of feed.live) {
        if (stream.offer(event, frame))
          this.metrics.eventDelivered((now - event.at.getTime()) / 1000);
      }
    }
    while (feed.recent.length > RECENT || feed.recentBytes > RECENT_BYTES) {
      feed.recentBytes -= feed.recent.shift()!.frame.length;
    }
    feed.cursor = events[events.length - 1].id;
  }

  private feedOf(ownerId: string): OwnerFeed {
    let feed = this.feeds.get(ownerId);
    if (!feed) {
      feed = {
        ownerId,
        live: new Set(),
        joining: new Set(),
        cursor: null,
        recent: [],
        recentBytes: 0,
        fetching: false,
        again: false,
      };
      this.feeds.set(ownerId, feed);
    }
    return feed;
  }

  /** A stream's response closed: it leaves its feed, and a feed without streams goes. */
  closed(stream: TaskEventStream): void {
    if (stream.opened) this.metrics.eventStreamsChanged(-1);
    const feed = this.feeds.get(stream.ownerId);
    if (!feed) return;
    feed.live.delete(stream);
    feed.joining.delete(stream);
    this.dropIfIdle(feed);
  }

  cut(): void {
    this.metrics.eventStreamCut();
  }

  private dropIfIdle(feed: OwnerFeed): void {
    if (feed.live.size > 0 || feed.joining.size > 0 || this.feeds.get(feed.ownerId) !== feed) {
      return;
    }
    clearTimeout(feed.retry);
    this.feeds.delete(feed.ownerId);
  }
}
