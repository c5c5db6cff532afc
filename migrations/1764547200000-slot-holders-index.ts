import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The index of running attempts covers only those that hold an agent slot (agent_id set), which
 * is all its two readers ask for: an agent's in-flight count and the reconciler's list of running
 * attempts.
 *
 * With the predicate `finished_at IS NULL` alone, the statement that starts an attempt (closing
 * any attempt of the same task a dead worker left open: `task_id = $1 AND finished_at IS NULL`)
 * could use it too, and the planner did: a bitmap AND of this index and the (task_id, number)
 * key. Every attempt enters the index when it starts and leaves a dead entry when it finishes,
 * until VACUUM comes, so that scan read every attempt finished since: 43,000 entries, 1 ms, after
 * 43,000 tasks, and PostgreSQL's rate for a task's statements fell from 1,460 to 990 a second as
 * the table grew (pgbench). With `agent_id IS NOT NULL` in the predicate, that statement cannot
 * use it and reads the task's own few attempts through the key.
 *
 * Built in the migration's transaction, which keeps writers to task_attempts waiting while it
 * scans the table. On a large table, build it beforehand without blocking writers,
 * `CREATE INDEX CONCURRENTLY task_attempts_slot_holders_idx ON task_attempts (agent_id)
 * WHERE finished_at IS NULL AND agent_id IS NOT NULL`, and this migration keeps it.
 */
export class SlotHoldersIndex1764547200000 implements MigrationInterface {
  name = 'SlotHoldersIndex1764547200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX IF NOT EXISTS task_attempts_slot_holders_idx ON task_attempts (agent_id)
        WHERE finished_at IS NULL AND agent_id IS NOT NULL`,
    );
    await q.query(`DROP INDEX task_attempts_running_agent_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX task_attempts_running_agent_idx ON task_attempts (agent_id) WHERE finished_at IS NULL`,
    );
    await q.query(`DROP INDEX task_attempts_slot_holders_idx`);
  }
}
