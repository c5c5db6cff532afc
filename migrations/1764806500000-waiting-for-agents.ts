import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tasks wait for an agent in PostgreSQL rather than in the queue (README, "Task lifecycle"): a
 * task no agent can take now is "parked" (`waiting_since` set) and its queue job ends, without
 * spending an attempt. It is dispatched again when an agent may take it, and fails once
 * `schedule_deadline` passes.
 *
 * - `schedule_timeout_ms`: the task's bound on one wait (scheduleTimeoutMs), TASK_SCHEDULE_TIMEOUT_MS
 *   when null; `schedule_deadline`: when the current wait ends, set when it starts and cleared when
 *   an attempt starts (a task woken and parked again keeps the deadline of its wait).
 * - `job_generation`: which queue job may run the task. Each wake-up queues a job of a new
 *   generation (job id `<task id>.<generation>`, the first one plain `<task id>`): the job that
 *   parked the task may still be finishing when it is woken, and a stale job finds nothing to do.
 * - Parked tasks are found per owner and task type (or per named agent) when an agent may take
 *   work, and by deadline by the one sweep that fails them: partial indexes, holding only the
 *   parked tasks. The reconciler's index leaves them out: a backlog of parked tasks costs its
 *   scans nothing.
 * - Whatever may let an agent take work that it could not take before (it becomes active, or an
 *   active agent's capabilities, concurrency or owner change) is announced at commit on the
 *   `ymera_agent_available` channel with the agent id, however the change is made (a heartbeat on
 *   any api process, PATCH, SQL by an operator); workers LISTEN on it. A freed slot is announced by
 *   the worker that frees it, directly.
 */
export class WaitingForAgents1764806500000 implements MigrationInterface {
  name = 'WaitingForAgents1764806500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE tasks
        ADD COLUMN schedule_timeout_ms integer
          CHECK (schedule_timeout_ms BETWEEN 1000 AND 604800000),
        ADD COLUMN waiting_since timestamptz(3),
        ADD COLUMN schedule_deadline timestamptz(3),
        ADD COLUMN job_generation integer NOT NULL DEFAULT 0 CHECK (job_generation >= 0)`);
    await q.query(`
      CREATE INDEX tasks_waiting_type_idx ON tasks (owner_id, task_type)
        WHERE waiting_since IS NOT NULL AND requested_agent_id IS NULL`);
    await q.query(`
      CREATE INDEX tasks_waiting_agent_idx ON tasks (requested_agent_id)
        WHERE waiting_since IS NOT NULL AND requested_agent_id IS NOT NULL`);
    await q.query(`
      CREATE INDEX tasks_waiting_deadline_idx ON tasks (schedule_deadline)
        WHERE waiting_since IS NOT NULL`);
    await q.query(`DROP INDEX tasks_unfinished_idx`);
    await q.query(`
      CREATE INDEX tasks_unfinished_idx ON tasks (status, updated_at)
        WHERE status = 'in_progress' OR (status = 'pending' AND waiting_since IS NULL)`);
    await q.query(`
      CREATE FUNCTION agents_notify_available() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('ymera_agent_available', NEW.id::text);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER agents_notify_available_update AFTER UPDATE ON agents FOR EACH ROW
        WHEN (NEW.status = 'active' AND (OLD.status IS DISTINCT FROM NEW.status
              OR OLD.capabilities IS DISTINCT FROM NEW.capabilities
              OR OLD.max_concurrency IS DISTINCT FROM NEW.max_concurrency
              OR OLD.owner_id IS DISTINCT FROM NEW.owner_id))
        EXECUTE FUNCTION agents_notify_available()`);
    await q.query(`
      CREATE TRIGGER agents_notify_available_insert AFTER INSERT ON agents FOR EACH ROW
        WHEN (NEW.status = 'active')
        EXECUTE FUNCTION agents_notify_available()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER agents_notify_available_insert ON agents`);
    await q.query(`DROP TRIGGER agents_notify_available_update ON agents`);
    await q.query(`DROP FUNCTION agents_notify_available()`);
    await q.query(`DROP INDEX tasks_unfinished_idx`);
    await q.query(`
      CREATE INDEX tasks_unfinished_idx ON tasks (status, updated_at)
        WHERE status IN ('pending', 'in_progress')`);
    await q.query(`DROP INDEX tasks_waiting_deadline_idx`);
    await q.query(`DROP INDEX tasks_waiting_agent_idx`);
    await q.query(`DROP INDEX tasks_waiting_type_idx`);
    await q.query(`
      ALTER TABLE tasks DROP COLUMN job_generation, DROP COLUMN schedule_deadline,
        DROP COLUMN waiting_since, DROP COLUMN schedule_timeout_ms`);
  }
}
