import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Task events (README, "Following a task"): what happened to each task, append-only, written by the
 * statement that changes the task (the service role may only read and append them: see grants.ts).
 * An event's id counts its owner's events, 1, 2, 3...: `task_event_sequences` holds each owner's
 * last id, and the statement that takes ids keeps the owner's row locked until it commits, so one
 * owner's ids commit in increasing order and a reader that has seen id N never sees a new id below
 * it (what makes resuming after Last-Event-ID exact).
 */
export class TaskEvents1764806900000 implements MigrationInterface {
  name = 'TaskEvents1764806900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE task_event_sequences (
        owner_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
        last_id bigint NOT NULL
      )`);
    await q.query(`
      CREATE TABLE task_events (
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        id bigint NOT NULL,
        task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
        type text NOT NULL,
        status text NOT NULL,
        task_type text NOT NULL,
        attempt integer,
        data jsonb,
        at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (owner_id, id)
      )`);
    await q.query(`CREATE INDEX task_events_task_id_idx ON task_events (task_id, owner_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE task_events`);
    await q.query(`DROP TABLE task_event_sequences`);
  }
}
