import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ListQueryDto } from '../common/pagination/list-query.dto';
import { Page, paginate } from '../common/pagination/page';
import { WebhookDelivery } from './entities/webhook-delivery.entity';
import { Webhook } from './entities/webhook.entity';

/**
 * Where a webhook's creation announces, at commit, that its owner has webhooks (the payload is the
 * owner's id): the workers' fan-out reads the events of such owners only (WebhookFanOut).
 */
export const WEBHOOK_OWNERS_CHANNEL = 'ymera_webhook_owners';

/** A delivery a worker claimed: what it needs to send it, and its claim. */
export interface ClaimedDelivery {
  id: string;
  webhookId: string;
  eventId: number;
  attempt: number;
  /** The lease: the delivery is this worker's until then, and its outcome is recorded only if so. */
  claimedUntil: Date;
  ownerId: string;
  url: string;
  secret: string;
}

/** How an attempt ended, as recorded. */
export interface DeliveryOutcome {
  status: 'succeeded' | 'failed';
  httpStatus: number | null;
  /** Bounded by its maker (deliveryError): the receiver's body is never kept. */
  error: string | null;
  /** After a failure: schedule attempt + 1 this long from now (undefined: no further attempt). */
  retryInMs?: number;
}

/** A webhook as the fan-out matches events against it. */
export interface FanOutWebhook {
  id: string;
  events: string[];
  startEventId: number;
}

/** One delivery row the fan-out adds: attempt 1 of an event to a webhook, due now. */
export interface NewDelivery {
  webhookId: string;
  eventId: number;
  event: string;
}

const CLAIM = `
  WITH due AS (
    SELECT id FROM webhook_deliveries
     WHERE status = 'pending' AND due_at <= now()
       AND (claimed_until IS NULL OR claimed_until <= now())
     ORDER BY due_at
     LIMIT $1
     FOR UPDATE SKIP LOCKED)
  UPDATE webhook_deliveries d
     SET claimed_until = now() + make_interval(secs => $2::float8 / 1000)
    FROM due, webhooks w
   WHERE d.id = due.id AND w.id = d.webhook_id
  RETURNING d.id, d.webhook_id, d.event_id, d.attempt, d.claimed_until, w.owner_id, w.url, w.secret`;

/**
 * Records the outcome of a claimed attempt, if the claim still holds (another worker has not
 * taken the delivery over after its lease), and after a failure with attempts left adds the next
 * attempt's row. A webhook deleted meanwhile has no row left to record on.
 */
const SETTLE = `
  WITH settled AS (
    UPDATE webhook_deliveries
       SET status = $2, http_status = $3, error = $4, claimed_until = NULL,
           delivered_at = CASE WHEN $2 = 'succeeded' THEN now() END
     WHERE id = $1 AND status = 'pending' AND claimed_until = $5
    RETURNING webhook_id, event_id, event, attempt)
  , retry AS (
    INSERT INTO webhook_deliveries (webhook_id, event_id, event, attempt, status, due_at)
    SELECT webhook_id, event_id, event, attempt + 1, 'pending',
           now() + make_interval(secs => $6::float8 / 1000)
      FROM settled WHERE $6::float8 IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING id)
  SELECT (SELECT count(*) FROM settled)::int AS settled, (SELECT count(*) FROM retry)::int AS retried`;

/**
 * Every statement on webhooks, their cursors and deliveries (migration Webhooks1764807000000):
 * the API's (through TypeORM entities, for the paginated lists) and the workers' fan-out and
 * delivery claims (plain SQL).
 */
@Injectable()
export class WebhooksRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * Locks the owner's fan-out cursor (creating it), so that no fan-out of the owner's events runs
   * until the transaction ends: the events read after this are the ones a new webhook starts after.
   * Announces the owner on WEBHOOK_OWNERS_CHANNEL at commit.
   */
  async lockCursor(manager: EntityManager, ownerId: string): Promise<void> {
    await manager.query(
      `WITH cursor AS (
         INSERT INTO webhook_cursors (owner_id, last_event_id) VALUES ($1, 0)
         ON CONFLICT (owner_id) DO UPDATE SET last_event_id = webhook_cursors.last_event_id
         RETURNING owner_id)
       SELECT pg_notify('${WEBHOOK_OWNERS_CHANNEL}', owner_id::text) FROM cursor`,
      [ownerId],
    );
  }

  /** The owners that have at least one webhook. */
  async ownersWithWebhooks(): Promise<string[]> {
    const rows = await this.dataSource.query<{ owner_id: string }[]>(
      'SELECT DISTINCT owner_id FROM webhooks',
    );
    return rows.map((row) => row.owner_id);
  }

  /**
   * Moves a locked cursor to `lastEventId` when the owner has no webhook: nothing before it can
   * concern a webhook created now, so the fan-out need not read it.
   */
  async skipCursorIfUnused(
    manager: EntityManager,
    ownerId: string,
    lastEventId: number,
  ): Promise<void> {
    await manager.query(
      `UPDATE webhook_cursors SET last_event_id = GREATEST(last_event_id, $2)
        WHERE owner_id = $1 AND NOT EXISTS (SELECT 1 FROM webhooks WHERE owner_id = $1)`,
      [ownerId, lastEventId],
    );
  }

  insertWebhook(
    manager: EntityManager,
    values: Pick<Webhook, 'ownerId' | 'url' | 'events' | 'description' | 'secret'> & {
      startEventId: number;
    },
  ): Promise<Webhook> {
    const repository = manager.getRepository(Webhook);
    return repository.save(
      repository.create({ ...values, startEventId: String(values.startEventId) }),
    );
  }

  listWebhooks(ownerId: string, query: ListQueryDto): Promise<Page<Webhook>> {
    const qb = this.dataSource
      .getRepository(Webhook)
      .createQueryBuilder('webhook')
      .where('webhook.ownerId = :ownerId', { ownerId });
    return paginate(qb, query, 'createdAt');
  }

  async exists(ownerId: string, id: string): Promise<boolean> {
    return this.dataSource.getRepository(Webhook).exists({ where: { id, ownerId } });
  }

  /** Deletes the owner's webhook, and with it its deliveries; null when there was none. */
  async deleteWebhook(
    manager: EntityManager,
    ownerId: string,
    id: string,
  ): Promise<{ id: string; url: string; events: string[] } | null> {
    const result = await manager
      .createQueryBuilder()
      .delete()
      .from(Webhook)
      .where('id = :id AND owner_id = :ownerId', { id, ownerId })
      .returning(['id', 'url', 'events'])
      .execute();
    const [deleted] = result.raw as { id: string; url: string; events: string[] }[];
    return deleted ?? null;
  }

  listDeliveries(webhookId: string, query: ListQueryDto): Promise<Page<WebhookDelivery>> {
    const qb = this.dataSource
      .getRepository(WebhookDelivery)
      .createQueryBuilder('delivery')
      .where('delivery.webhookId = :webhookId', { webhookId });
    return paginate(qb, query, 'createdAt');
  }

  /** The owner's cursor, locked for the transaction; null when another worker holds it or none. */
  async lockCursorIfFree(manager: EntityManager, ownerId: string): Promise<number | null> {
    const rows = await manager.query<{ last_event_id: string }[]>(
      `SELECT last_event_id FROM webhook_cursors WHERE owner_id = $1 FOR UPDATE SKIP LOCKED`,
      [ownerId],
    );
    return rows.length ? Number(rows[0].last_event_id) : null;
  }

  async moveCursor(manager: EntityManager, ownerId: string, lastEventId: number): Promise<void> {
    await manager.query(
      `UPDATE webhook_cursors SET last_event_id = GREATEST(last_event_id, $2) WHERE owner_id = $1`,
      [ownerId, lastEventId],
    );
  }

  async webhooksOf(manager: EntityManager, ownerId: string): Promise<FanOutWebhook[]> {
    const rows = await manager.query<{ id: string; events: string[]; start_event_id: string }[]>(
      `SELECT id, events, start_event_id FROM webhooks WHERE owner_id = $1`,
      [ownerId],
    );
    return rows.map((row) => ({
      id: row.id,
      events: row.events,
      startEventId: Number(row.start_event_id),
    }));
  }

  /** Adds attempt 1 of each, due now; one already there (a fan-out run twice) is left as it is. */
  async insertDeliveries(manager: EntityManager, deliveries: NewDelivery[]): Promise<number> {
    if (deliveries.length === 0) return 0;
    const rows = await manager.query<unknown[]>(
      `INSERT INTO webhook_deliveries (webhook_id, event_id, event, attempt, status, due_at)
       SELECT webhook_id, event_id, event, 1, 'pending', now()
         FROM unnest($1::uuid[], $2::bigint[], $3::text[]) AS d (webhook_id, event_id, event)
       ON CONFLICT DO NOTHING
       RETURNING id`,
      [
        deliveries.map((d) => d.webhookId),
        deliveries.map((d) => d.eventId),
        deliveries.map((d) => d.event),
      ],
    );
    return rows.length;
  }

  /**
   * Owners whose cursor is behind an event up to `horizon` (TaskEventFeed): what the feed's
   * deliveries did not bring to a fan-out. One statement over task_events (through its
   * (owner_id, id) index) however many owners have webhooks, rather than a call per owner.
   */
  async ownersBehind(horizon: number, limit: number): Promise<string[]> {
    const rows = await this.dataSource.query<{ owner_id: string }[]>(
      `SELECT c.owner_id FROM webhook_cursors c
        WHERE EXISTS (SELECT 1 FROM task_events e
                       WHERE e.owner_id = c.owner_id AND e.id > c.last_event_id AND e.id <= $1)
        LIMIT $2`,
      [horizon, limit],
    );
    return rows.map((row) => row.owner_id);
  }

  /** Claims up to `limit` due deliveries for `leaseMs`, the most overdue first. */
  async claim(limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    const [rows] = await this.dataSource.query<
      [
        {
          id: string;
          webhook_id: string;
          event_id: string;
          attempt: number;
          claimed_until: Date;
          owner_id: string;
          url: string;
          secret: string;
        }[],
        number,
      ]
    >(CLAIM, [limit, leaseMs]);
    return rows.map((row) => ({
      id: row.id,
      webhookId: row.webhook_id,
      eventId: Number(row.event_id),
      attempt: row.attempt,
      claimedUntil: row.claimed_until,
      ownerId: row.owner_id,
      url: row.url,
      secret: row.secret,
    }));
  }

  /**
   * Records the attempt's outcome (and adds the next attempt after a failure, when `retryInMs` is
   * given). False when the claim no longer held: the delivery was taken over, or its webhook deleted.
   */
  async settle(delivery: ClaimedDelivery, outcome: DeliveryOutcome): Promise<boolean> {
    const [row] = await this.dataSource.query<{ settled: number; retried: number }[]>(SETTLE, [
      delivery.id,
      outcome.status,
      outcome.httpStatus,
      outcome.error,
      delivery.claimedUntil,
      outcome.retryInMs ?? null,
    ]);
    return row.settled > 0;
  }

  /** Gives a claimed delivery back unsent (the worker is stopping): due again at once. */
  async release(delivery: ClaimedDelivery): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET claimed_until = NULL
        WHERE id = $1 AND status = 'pending' AND claimed_until = $2`,
      [delivery.id, delivery.claimedUntil],
    );
  }

  /** Milliseconds until the next pending delivery is due (0: now); null when none is pending. */
  async nextDueInMs(): Promise<number | null> {
    const [row] = await this.dataSource.query<{ ms: number | null }[]>(
      `SELECT GREATEST(0, EXTRACT(EPOCH FROM
                min(GREATEST(due_at, COALESCE(claimed_until, due_at))) - now()) * 1000)::float8 AS ms
         FROM webhook_deliveries WHERE status = 'pending'`,
    );
    return row.ms === null ? null : Number(row.ms);
  }
}
