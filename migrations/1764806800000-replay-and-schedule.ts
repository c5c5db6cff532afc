import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Replay and schedule (README, "Task lifecycle"):
 * - `attempts_base`: the attempts a task had made when it was last retried
 *   (POST /api/v1/tasks/:id/retry), 0 before any retry. `attempts` keeps counting every attempt
 *   ever made (attempt numbers go on after a retry) and the budget of the current run is
 *   `attempts - attempts_base < max_attempts`.
 * - `run_at`: when a task created with runAt may first be dispatched (its queue job is delayed
 *   until then); null when it was not given.
 * - `woken_for`: the agent a waiting task was woken for, until its attempt starts or it waits
 *   again. A woken task holds no agent slot until its job runs; meanwhile it counts as one of the
 *   agent's slots taken, so another wake-up (the reconciler's, a second worker's) does not wake a
 *   less urgent task into the same free slot, which would then run first.
 */
export class ReplayAndSchedule1764806800000 implements MigrationInterface {
  name = 'ReplayAndSchedule1764806800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE tasks
        ADD COLUMN attempts_base integer NOT NULL DEFAULT 0
          CONSTRAINT tasks_attempts_base_check CHECK (attempts_base BETWEEN 0 AND attempts),
        ADD COLUMN run_at timestamptz(3),
        ADD COLUMN woken_for uuid`);
    await q.query(
      `CREATE INDEX tasks_woken_for_idx ON tasks (woken_for) WHERE woken_for IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE tasks DROP COLUMN woken_for, DROP COLUMN run_at, DROP COLUMN attempts_base`,
    );
  }
}
