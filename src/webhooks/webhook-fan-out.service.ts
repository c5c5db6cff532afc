import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { settledWithin } from '../common/async/deadline';
import { Periodic } from '../common/async/periodic';
import { AppConfig } from '../config/app-config';
import { ChangeFeed, ChangeSubscriber } from '../database/change-feed';
import { TASK_EVENTS_CHANNEL } from '../execution/task-events.sql';
import { TaskEventsService } from '../execution/task-events.service';
import { subscribesTo } from './webhook-events';
import { WebhookSender } from './webhook-sender.service';
import { NewDelivery, WebhooksRepository } from './webhooks.repository';

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
 * Turns task events into webhook deliveries, exactly once (README, "Webhooks"). Every statement
 * that changes a task announces its owner on `ymera_task_events` at commit; each worker hears it
 * (ChangeFeed) and fans the owner's new events out in one transaction: the owner's cursor locked
 * (an owner being fanned out by another worker is skipped: that worker looks again once it has
 * committed), the events after it read, one pending delivery inserted per event and webhook that
 * subscribed to it (created before it), the cursor moved on. A worker that died mid-way rolled
 * back and the events are still after the cursor.
 * A sweep every WEBHOOK_SWEEP_INTERVAL_MS, and a reconnection of the LISTEN connection, fan out
 * every owner whose cursor is behind, for whatever notifications were missed (no worker running,
 * the connection lost).
 */
@Injectable()
export class WebhookFanOut
  implements OnApplicationBootstrap, BeforeApplicationShutdown, ChangeSubscriber
{
  private readonly logger = new Logger(WebhookFanOut.name);
  private readonly periodic: Periodic;
  /** Owners being fanned out, and whether to look once more when that ends. */
  private readonly running = new Map<string, { again: boolean; done: Promise<void> }>();
  private stopping = false;

  constructor(
    config: AppConfig,
    private readonly repository: WebhooksRepository,
    private readonly events: TaskEventsService,
    private readonly sender: WebhookSender,
    private readonly feed: ChangeFeed,
  ) {
    feed.subscribe(TASK_EVENTS_CHANNEL, this);
    this.periodic = new Periodic(() => this.sweep(), config.webhooks.sweepIntervalMs);
  }

  onApplicationBootstrap(): void {
    // The feed opens its connection on first use: a worker listens from its start.
    this.feed.isListening();
    this.periodic.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    const sweep = this.periodic.stop(SHUTDOWN_WAIT_MS);
    const under = Promise.allSettled([...this.running.values()].map((entry) => entry.done));
    if (!(await settledWithin(under, SHUTDOWN_WAIT_MS)) || !(await sweep)) {
      // Left behind: a pass that did not commit is done again by another worker's sweep.
      this.logger.warn(`Webhook fan-outs did not finish within ${SHUTDOWN_WAIT_MS} ms`);
    }
  }

  /** A task event of `ownerId` committed (ChangeFeed). */
  changed(ownerId: string): void {
    if (!this.stopping) void this.fanOut(ownerId);
  }

  /** Notifications may have been missed (the LISTEN connection was lost or is back). */
  reset(): void {
    if (!this.stopping) void this.sweep();
  }

  /** Fans out every owner whose cursor is behind their events, then looks for due deliveries. */
  async sweep(): Promise<void> {
    try {
      for (const ownerId of await this.repository.ownersBehind(OWNERS_PER_SWEEP)) {
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
    const current = this.running.get(ownerId);
    if (current) {
      current.again = true;
      return current.done;
    }
    const entry = { again: false, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        do {
          entry.again = false;
          if (await this.pass(ownerId)) entry.again = true;
        } while (entry.again && !this.stopping);
      } catch (error) {
        // The transaction rolled back: the events are still after the cursor, for the sweep.
        this.logger.error({ err: error, ownerId }, 'Could not fan out task events to webhooks');
      } finally {
        this.running.delete(ownerId);
      }
    })();
    this.running.set(ownerId, entry);
    return entry.done;
  }

  /** One transaction over the owner's events; true when there may be more to fan out. */
  private async pass(ownerId: string): Promise<boolean> {
    const result = await this.repository.transaction(
      async (manager): Promise<PassResult | null> => {
        const cursor = await this.repository.lockCursorIfFree(manager, ownerId);
        // No cursor: the owner has never had a webhook. Locked: another worker is at it and looks
        // again after its commit, so it sees what this notification announced (or a webhook is
        // being created: the sweep catches up after it).
        if (cursor === null) return null;
        // Read under the lock: every event up to it has committed (ids commit in order per owner),
        // so one the read below does not return is gone (its task was deleted).
        const lastId = await this.events.lastId(ownerId, manager);
        const webhooks = await this.repository.webhooksOf(manager, ownerId);
        if (webhooks.length === 0) {
          await this.repository.moveCursor(manager, ownerId, lastId);
          return { cursor: Math.max(cursor, lastId), inserted: 0, full: false };
        }
        const events = await this.events.after(
          ownerId,
          cursor,
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
        const read = events.length > 0 ? events[events.length - 1].id : cursor;
        const moved = full ? read : Math.max(read, lastId);
        if (moved > cursor) await this.repository.moveCursor(manager, ownerId, moved);
        return { cursor: Math.max(cursor, moved), inserted, full };
      },
    );
    if (result === null) return false;
    if (result.inserted > 0) this.sender.wake();
    // An event committed while this pass held the lock was announced to a worker that skipped it.
    return result.full || (await this.events.lastId(ownerId)) > result.cursor;
  }
}
