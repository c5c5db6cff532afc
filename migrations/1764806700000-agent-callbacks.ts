import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The agent's own API for results and progress, long work and cancels that reach the agent
 * (docs/agent-protocol.md, "Long work" and "Cancel"):
 *
 * - Attempt outcomes `cancelled` (the owner cancelled the task while the attempt ran: the cancel
 *   closes it in the statement that cancels the task) and `interrupted` (the worker stopped or
 *   died before the agent answered; recorded `retryable_error` until now, and renamed here).
 * - `progress`: the latest progress an agent posted for a running attempt
 *   (`{ at, message, percent, data }`), kept with the attempt and not part of its API shape.
 * - The statements that close an attempt on behalf of its worker (a cancel, a result posted to
 *   the agent API) announce it at commit on the `ymera_attempt_closed` channel with the attempt
 *   id (pg_notify in the statement itself): the worker that waits for it LISTENs there.
 */
export class AgentCallbacks1764806700000 implements MigrationInterface {
  name = 'AgentCallbacks1764806700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE task_attempts DROP CONSTRAINT task_attempts_outcome_check`);
    await q.query(`
      UPDATE task_attempts SET outcome = 'interrupted'
       WHERE outcome = 'retryable_error' AND error LIKE 'interrupted: %'`);
    await q.query(`
      ALTER TABLE task_attempts
        ADD CONSTRAINT task_attempts_outcome_check CHECK (outcome IN
          ('succeeded', 'retryable_error', 'permanent_error', 'cancelled', 'interrupted')),
        ADD COLUMN progress jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE task_attempts DROP COLUMN progress,
        DROP CONSTRAINT task_attempts_outcome_check`);
    await q.query(`
      UPDATE task_attempts SET outcome = CASE outcome WHEN 'cancelled' THEN 'permanent_error'
                                                      ELSE 'retryable_error' END
       WHERE outcome IN ('cancelled', 'interrupted')`);
    await q.query(`
      ALTER TABLE task_attempts ADD CONSTRAINT task_attempts_outcome_check
        CHECK (outcome IN ('succeeded', 'retryable_error', 'permanent_error'))`);
  }
}
