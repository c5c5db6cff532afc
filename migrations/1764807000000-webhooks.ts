import { MigrationInterface, QueryRunner } from 'typeorm';

const SCOPES_BEFORE = `ARRAY['agents:read', 'agents:write', 'tasks:read', 'tasks:write']`;
const SCOPES_AFTER = `ARRAY['agents:read', 'agents:write', 'tasks:read', 'tasks:write',
                            'webhooks:read', 'webhooks:write']`;

/**
 * Webhooks (README, "Webhooks"): a user's subscriptions to their task events, and one row per
 * delivery attempt, kept in PostgreSQL so that deliveries outlive a lost Redis and a dead worker.
 * - `webhooks.start_event_id`: the owner's last task event id when the webhook was created; it
 *   receives the events after it only.
 * - `webhook_cursors`: per owner with webhooks, the last task event fanned out into deliveries. A
 *   worker locks the row, reads the events after it, inserts the deliveries and moves it in one
 *   transaction: every event is fanned out once.
 * - `webhook_deliveries`: one row per attempt of a message (a webhook and an event). A pending row
 *   is due at `due_at`; a worker sending it holds it until `claimed_until`, after which another
 *   worker may send it (its worker died). (webhook_id, event_id, attempt) is unique, so a fan-out
 *   or a retry that runs twice adds nothing. Deleting a webhook deletes its deliveries.
 * API keys may hold the scopes webhooks:read and webhooks:write.
 */
export class Webhooks1764807000000 implements MigrationInterface {
  name = 'Webhooks1764807000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhooks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        url varchar(2048) NOT NULL,
        events text[] NOT NULL CHECK (cardinality(events) > 0),
        description varchar(500),
        secret text NOT NULL,
        start_event_id bigint NOT NULL CHECK (start_event_id >= 0),
        created_at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    // The list (the owner's webhooks, newest first) and the fan-out (the owner's webhooks).
    await q.query(
      `CREATE INDEX webhooks_owner_created_idx ON webhooks (owner_id, created_at DESC, id DESC)`,
    );
    await q.query(`
      CREATE TABLE webhook_cursors (
        owner_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        last_event_id bigint NOT NULL CHECK (last_event_id >= 0)
      )`);
    await q.query(`
      CREATE TABLE webhook_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        event_id bigint NOT NULL,
        event text NOT NULL,
        attempt integer NOT NULL CHECK (attempt >= 1),
        status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
        due_at timestamptz(3) NOT NULL,
        claimed_until timestamptz(3),
        http_status integer,
        error text,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        delivered_at timestamptz(3),
        UNIQUE (webhook_id, event_id, attempt)
      )`);
    // The list of a webhook's deliveries, newest first.
    await q.query(`
      CREATE INDEX webhook_deliveries_webhook_created_idx
        ON webhook_deliveries (webhook_id, created_at DESC, id DESC)`);
    // What workers claim: the pending rows by due time (few: sent rows leave the index).
    await q.query(`
      CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (due_at)
        WHERE status = 'pending'`);

    await q.query(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_check`);
    await q.query(`
      ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_check
        CHECK (cardinality(scopes) > 0 AND scopes <@ ${SCOPES_AFTER})`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE api_keys SET scopes = array(SELECT unnest(scopes) INTERSECT SELECT unnest(${SCOPES_BEFORE}))`,
    );
    await q.query(`DELETE FROM api_keys WHERE cardinality(scopes) = 0`);
    await q.query(`ALTER TABLE api_keys DROP CONSTRAINT api_keys_scopes_check`);
    await q.query(`
      ALTER TABLE api_keys ADD CONSTRAINT api_keys_scopes_check
        CHECK (cardinality(scopes) > 0 AND scopes <@ ${SCOPES_BEFORE})`);
    await q.query(`DROP TABLE webhook_deliveries`);
    await q.query(`DROP TABLE webhook_cursors`);
    await q.query(`DROP TABLE webhooks`);
  }
}
