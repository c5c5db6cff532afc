import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Agent concurrency slots move to Redis (src/agents/agent-slots.ts): a counter on the agent row,
 * updated by every claim and every release, serialised all of an agent's dispatches on one row
 * lock. An agent's in-flight count is now its running attempts, which this index finds.
 */
export class AgentSlotsInRedis1764460800000 implements MigrationInterface {
  name = 'AgentSlotsInRedis1764460800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX task_attempts_running_agent_idx ON task_attempts (agent_id) WHERE finished_at IS NULL`,
    );
    await q.query(`ALTER TABLE agents DROP COLUMN in_flight`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE agents ADD COLUMN in_flight integer NOT NULL DEFAULT 0 CHECK (in_flight >= 0)`,
    );
    await q.query(`
      UPDATE agents SET in_flight = running.attempts
        FROM (SELECT agent_id, count(*) AS attempts FROM task_attempts
               WHERE finished_at IS NULL GROUP BY agent_id) AS running
       WHERE agents.id = running.agent_id`);
    await q.query(`DROP INDEX task_attempts_running_agent_idx`);
  }
}
