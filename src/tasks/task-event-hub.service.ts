import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { USER_CHANGED_CHANNEL } from '../auth/account-states';
import { CREDENTIAL_CHANGED_CHANNEL } from '../common/auth/machine-token';
import { ChangeFeed, EVERY_KEY } from '../database/change-feed';
import { TaskEventFeed } from '../execution/task-event-feed';
import { TaskEvent, TaskEventsService } from '../execution/task-events.service';
import { MetricsService } from '../metrics/metrics.service';
import { sseFrame, StreamCaller, StreamEnds, TaskEventStream } from './task-event-stream';

/** Events read at once, by a stream catching up. */
const PAGE = 100;
/**
 * The latest events fanned out, for a stream that finished catching up behind them: at most this
 * many, and this many bytes of frames (a result may be large).
 */
const RECENT = 1000;
const RECENT_BYTES = 4 * 1024 * 1024;

interface Fanned {
  event: TaskEvent;
  frame: string;
}

/** The open streams of one owner. */
interface OwnerFeed {
  ownerId: string;
  /** Streams that receive each new event as it settles. */
  live: Set<TaskEventStream>;
  /** Streams still catching up from the table. */
  joining: Set<TaskEventStream>;
}

/**
 * Every event stream of this process (README, "Following a task"). While any is open the hub
 * listens to this process's TaskEventFeed, which reads every owner's events once as they commit
 * (woken by the writers' announcements) and delivers those below its horizon in id order: each
 * goes to the live streams of its owner, which filter it. 1,000 streams cost one read per
 * announcement, not 1,000.
 *
 * A new stream first catches up from the table (its own filtered reads, paged, up to the feed's
 * horizon), then joins the live streams: at that moment it has seen every event up to the horizon
 * it read to, and the gap up to the feed's horizon now (when the feed went further meanwhile) is
 * filled from the latest events fanned out, or by catching up again. Each stream drops what it has
 * seen, so nothing is written twice.
 */
@Injectable()
export class TaskEventHub implements StreamEnds, BeforeApplicationShutdown {
  private readonly logger = new Logger(TaskEventHub.name);
  private readonly feeds = new Map<string, OwnerFeed>();
  private recent: Fanned[] = [];
  /** The length of the frames in `recent`. */
  private recentBytes = 0;
  private unlisten?: () => void;
  private closing = false;

  constructor(
    private readonly feed: TaskEventFeed,
    private readonly events: TaskEventsService,
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
    changes: ChangeFeed,
  ) {
    // A stream answers for its caller as a request would: when the account is disabled,
    // deleted or changes role, or the API key is revoked or changed, the stream ends, and the
    // client's reconnection (with Last-Event-ID) is authenticated again. (A change made while
    // this process's LISTEN connection was down goes unheard here: such a stream lasts until its
    // access token expires, or its client reconnects.)
    changes.subscribe(USER_CHANGED_CHANNEL, {
      changed: (userId) => this.endWhere((c) => userId === EVERY_KEY || c.userId === userId),
      reset: () => undefined,
    });
    changes.subscribe(CREDENTIAL_CHANGED_CHANNEL, {
      changed: (hash) =>
        this.endWhere((c) => c.keyHash !== null && (hash === EVERY_KEY || c.keyHash === hash)),
      reset: () => undefined,
    });
  }

  /** The limits every stream of this process is held to (TASK_EVENTS_* configuration). */
  get limits() {
    return this.config.taskEvents;
  }

  /** Where a stream that starts with what happens next starts: the feed's horizon. */
  horizon(): Promise<number> {
    this.listen();
    return this.feed.horizon();
  }

  /**
   * Serves `stream` until it ends: catches it up from the table, then keeps it on the live
   * streams. A task's stream whose task has finished (`finished`) and has no event left to send
   * answers 204. Rejects, before anything was sent, when the first read fails.
   */
  async follow(stream: TaskEventStream, finished = false): Promise<void> {
    this.listen();
    const feed = this.feedOf(stream.ownerId);
    feed.joining.add(stream);
    try {
      await this.catchUp(stream, finished);
    } catch (error) {
      if (!stream.opened) throw error;
      this.logger.warn({ err: error }, 'An event stream failed catching up: cut, to be resumed');
      stream.abort();
    } finally {
      feed.joining.delete(stream);
      this.dropIfIdle(feed);
    }
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

  /** Ends the streams whose caller `when` picks. */
  private endWhere(when: (caller: StreamCaller) => boolean): void {
    for (const feed of this.feeds.values()) {
      for (const stream of [...feed.live, ...feed.joining]) {
        if (when(stream.caller)) stream.end();
      }
    }
  }

  private endAll(): void {
    this.closing = true;
    for (const feed of this.feeds.values()) {
      for (const stream of [...feed.live, ...feed.joining]) stream.end();
    }
  }

  private listen(): void {
    this.unlisten ??= this.feed.listen((events) => this.fanOut(events));
  }

  private async catchUp(stream: TaskEventStream, finished: boolean) {
    for (;;) {
      // Every event up to the horizon has committed (or never will), so once a page comes back
      // short the stream has seen all of them up to it, whether they matched or not.
      const horizon = await this.feed.horizon();
      const page = await this.events.after(
        stream.ownerId,
        stream.lastId,
        horizon,
        PAGE,
        stream.filter,
      );
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
      stream.lastId = Math.max(stream.lastId, horizon);
      if (this.join(stream)) return;
    }
  }

  /**
   * Puts a stream that has caught up on the live streams, unless the feed went further than the
   * stream has seen and the latest events do not cover the difference (the stream then catches
   * up again). Synchronous: no event can be fanned out in between.
   */
  private join(stream: TaskEventStream): boolean {
    if (stream.closed) return true;
    const live = this.feed.current();
    if (live === null) return false;
    if (live > stream.lastId) {
      const first = this.recent[0]?.event.id;
      if (first === undefined || first > stream.lastId + 1) return false;
      stream.offerAll(this.recent.filter(({ event }) => event.ownerId === stream.ownerId));
      stream.lastId = Math.max(stream.lastId, live);
    }
    if (!stream.closed) this.feedOf(stream.ownerId).live.add(stream);
    return true;
  }

  /**
   * Events that settled, of every owner, in id order: those of each owner with live streams to
   * each of its streams, in one write per stream.
   */
  private fanOut(events: TaskEvent[]): void {
    const now = Date.now();
    const byOwner = new Map<string, Fanned[]>();
    for (const event of events) {
      const fanned = { event, frame: sseFrame(event) };
      this.recent.push(fanned);
      this.recentBytes += fanned.frame.length;
      if (!this.feeds.get(event.ownerId)?.live.size) continue;
      const owned = byOwner.get(event.ownerId);
      if (owned) owned.push(fanned);
      else byOwner.set(event.ownerId, [fanned]);
    }
    for (const [ownerId, owned] of byOwner) {
      let reached = 0;
      for (const stream of this.feeds.get(ownerId)!.live) {
        reached = Math.max(reached, stream.offerAll(owned));
      }
      // An event's lag is the same on every stream it reaches: observed once per event.
      if (reached > 0) {
        for (const { event } of owned)
          this.metrics.eventDelivered((now - event.at.getTime()) / 1000);
      }
    }
    while (this.recent.length > RECENT || this.recentBytes > RECENT_BYTES) {
      this.recentBytes -= this.recent.shift()!.frame.length;
    }
  }

  private feedOf(ownerId: string): OwnerFeed {
    let feed = this.feeds.get(ownerId);
    if (!feed) {
      feed = { ownerId, live: new Set(), joining: new Set() };
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

  /** A feed without streams goes; with the last one, the hub stops listening. */
  private dropIfIdle(feed: OwnerFeed): void {
    if (feed.live.size > 0 || feed.joining.size > 0 || this.feeds.get(feed.ownerId) !== feed) {
      return;
    }
    this.feeds.delete(feed.ownerId);
    if (this.feeds.size === 0 && this.unlisten) {
      this.unlisten();
      this.unlisten = undefined;
      this.recent = [];
      this.recentBytes = 0;
    }
  }
}
