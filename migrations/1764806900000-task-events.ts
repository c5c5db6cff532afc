import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Task events (README, "Following a task"): what happened to each task, append-only, written by the
 * statement that changes the task (the service role may only read and append them: see grants.ts).
 * Ids come from one identity sequence, so they increase across every owner's events; readers
 * deliver them in id order only up to the horizon below which every id has committed or never
 * will (TaskEventFeed), which is what makes resuming after Last-Event-ID exact. No foreign keys:
 * tasks and users are never deleted, and a key check would lock the owner's row in every
 * statement that writes an event.
 */
export class TaskEvents1764806900000 implements MigrationInterface {
  name = 'TaskEvents1764806900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE task_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        owner_id uuid NOT NULL,
        task_id uuid NOT NULL,
        type text NOT NULL,
        status text NOT NULL,
        task_type text NOT NULL,
        attempt integer,
        data jsonb,
        at timestamptz(3) NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX task_events_owner_id_idx ON task_events (owner_id, id)`);
    await q.query(`CREATE INDEX task_events_task_id_idx ON task_events (task_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE task_events`);
  }
}
