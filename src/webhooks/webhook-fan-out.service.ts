import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { settledWithin } from '../common/async/deadline';
import { Periodic } from '../common/async/periodic';
import { RerunPerKey } from '../common/async/rerun-per-key';
import { AppConfig } from '../config/app-config';
import { ChangeFeed } from '../database/change-feed';
import { TaskEventFeed } from '../execution/task-event-feed';
import { TaskEvent, TaskEventsService } from '../execution/task-events.service';
import { subscribesTo } from './webhook-events';
import { WebhookSender } from './webhook-sender.service';
import { NewDelivery, WEBHOOK_OWNERS_CHANNEL, WebhooksRepository } from './webhooks.repository';

/** Events read per transaction; an owner with more is fanned out again at once. */
const EVENTS_PER_PASS = 500;
/** Owners looked at per sweep; the next sweep goes on with those still behind. */
const OWNERS_PER_SWEEP = 200;
/** How long a stopping process waits for the fan-outs under way. */
const SHUTDOWN_WAIT_MS = 2000;

/** What one pass over an owner's events did. */
interface PassResult {
  /** Where the owner's cursor is now. */
  cursor: number;
  inserted: number;
  /** Whether the pass read as many events as it could: there may be more. */
  full: boolean;
}

/**
 * Turns task events into webhook deliveries, exactly once (README, "Webhooks"). Each worker listens
 * to its process's TaskEventFeed, which delivers every owner's events as they commit, in id order;
 * for an owner with webhooks it fans the owner's new events out in one transaction: the owner's
 * cursor locked (an owner being fanned out by another worker is skipped: that worker's own feed
 * brings it the same events, and it looks again), the events after the cursor read up to the
 * feed's horizon (below which no event is still to commit), one pending delivery inserted per
 * event and webhook that subscribed to it (created before it), the cursor moved on. A worker
 * that died mid-way rolled back and the events are still after the cursor.
 * A sweep every WEBHOOK_SWEEP_INTERVAL_MS fans out every owner whose cursor is behind, for
 * whatever was missed (no worker running, a pass that failed).
 * Events of owners without webhooks (most of them) cost nothing but a set lookup: the owners with
 * webhooks are known here, read at the start and by each sweep, and announced by a webhook's
 * creation (WEBHOOK_OWNERS_CHANNEL), which fans that owner out too. An owner whose webhooks were
 * all deleted is dropped by the next sweep.
 */
@Injectable()
export class WebhookFanOut implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookFanOut.name);
  private readonly periodic: Periodic;
  /** Owners being fanned out, and whether to look once more when that ends. */
  private readonly running = new RerunPerKey((error, ownerId) =>
    // The transaction rolled back: the events are still after the cursor, for the sweep.
    this.logger.error({ err: error, ownerId }, 'Could not fan out task events to webhooks'),
  );
  private stopping = false;
  /** The owners with webhooks, as last read or announced. */
  private subscribed = new Set<string>();
  /** Owners announced while a sweep reads `subscribed`, which its read may predate. */
  private announced = new Set<string>();
  private unlisten?: () => void;

  constructor(
    config: AppConfig,
    private readonly repository: WebhooksRepository,
    private readonly events: TaskEventsService,
    private readonly sender: WebhookSender,
    private readonly changes: ChangeFeed,
    private readonly feed: TaskEventFeed,
  ) {
    changes.subscribe(WEBHOOK_OWNERS_CHANNEL, {
      changed: (ownerId) => {
        this.subscribed.add(ownerId);
        this.announced.add(ownerId);
        this.changed(ownerId);
      },
      reset: () => undefined,
    });
    this.periodic = new Periodic(() => this.sweep(), config.webhooks.sweepIntervalMs);
  }

  onApplicationBootstrap(): void {
    this.unlisten = this.feed.listen((events) => this.settled(events));
    this.periodic.start();
    void this.sweep();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.unlisten?.();
    const sweep = this.periodic.stop(SHUTDOWN_WAIT_MS);
    const under = this.running.settled();
    if (!(await settledWithin(under, SHUTDOWN_WAIT_MS)) || !(await sweep)) {
      // Left behind: a pass that did not commit is done again by another worker's sweep.
      this.logger.warn(`Webhook fan-outs did not finish within ${SHUTDOWN_WAIT_MS} ms`);
    }
  }

  /** Events committed (TaskEventFeed): their owners with webhooks are fanned out. */
  private settled(events: TaskEvent[]): void {
    for (const ownerId of new Set(events.map((event) => event.ownerId))) this.changed(ownerId);
  }

  private changed(ownerId: string): void {
    if (!this.stopping && this.subscribed.has(ownerId)) void this.fanOut(ownerId);
  }

  /**
   * Reads which owners have webhooks, fans out every owner whose cursor is behind their events,
   * then looks for due deliveries.
   */
  async sweep(): Promise<void> {
    try {
      this.announced.clear();
      const owners = await this.repository.ownersWithWebhooks();
      this.subscribed = new Set([...owners, ...this.announced]);
      const horizon = await this.feed.horizon();
      for (const ownerId of await this.repository.ownersBehind(horizon, OWNERS_PER_SWEEP)) {
        if (this.stopping) return;
        await this.fanOut(ownerId);
      }
    } catch (error) {
      this.logger.error({ err: error }, 'The webhook fan-out sweep failed');
    }
    this.sender.wake();
  }

  /**
   * Fans out the owner's events not fanned out yet. A call while the owner is being fanned out
   * here makes that run look once more when it ends.
   */
  fanOut(ownerId: string): Promise<void> {
    return this.running.run(
      ownerId,
      () => this.pass(ownerId),
      () => !this.stopping,
    );
  }

  /** One transaction over the owner's events; true when there may be more to fan out. */
  private async pass(ownerId: string): Promise<boolean> {
    // Every event up to it has committed (or never will): one the read below does not return,
    // up to it, will not come later.
    const horizon = await this.feed.horizon();
    const result = await this.repository.transaction(
      async (manager): Promise<PassResult | null> => {
        const cursor = await this.repository.lockCursorIfFree(manager, ownerId);
        // No cursor: the owner has never had a webhook. Locked: another worker is at it, and its
        // own feed brings it the same events (or a webhook is being created: the sweep catches up
        // after it).
        if (cursor === null) return null;
        const webhooks = await this.repository.webhooksOf(manager, ownerId);
        if (webhooks.length === 0) {
          await this.repository.moveCursor(manager, ownerId, horizon);
          return { cursor: Math.max(cursor, horizon), inserted: 0, full: false };
        }
        const events = await this.events.after(
          ownerId,
          cursor,
          horizon,
          EVENTS_PER_PASS,
          undefined,
          manager,
        );
        const deliveries: NewDelivery[] = events.flatMap((event) =>
          webhooks
            .filter((webhook) => event.id > webhook.startEventId)
            .filter((webhook) => subscribesTo(webhook.events, event.type))
            .map((webhook) => ({ webhookId: webhook.id, eventId: event.id, event: event.type })),
        );
        const inserted = await this.repository.insertDeliveries(manager, deliveries);
        const full = events.length === EVENTS_PER_PASS;
        const moved = full ? events[events.length - 1].id : horizon;
        if (moved > cursor) await this.repository.moveCursor(manager, ownerId, moved);
        return { cursor: Math.max(cursor, moved), inserted, full };
      },
    );
    if (result === null) return false;
    if (result.inserted > 0) this.sender.wake();
    return result.full;
  }
}
