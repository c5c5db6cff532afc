import { MigrationInterface, QueryRunner } from 'typeorm';

export class Tasks1764288100000 implements MigrationInterface {
  name = 'Tasks1764288100000';

  async up(q: QueryRunner): Promise<void> {
    // Timestamps keep milliseconds (timestamptz(3)): a JavaScript Date carries exactly that, so the
    // keyset cursor (created_at, id) of one page matches the stored value of the next.
    await q.query(`
      CREATE TABLE tasks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        agent_id uuid REFERENCES agents (id) ON DELETE SET NULL,
        requested_agent_id uuid,
        name varchar(200) NOT NULL,
        description varchar(2000),
        task_type varchar(100) NOT NULL,
        parameters jsonb NOT NULL DEFAULT '{}'::jsonb,
        priority text NOT NULL DEFAULT 'normal'
          CHECK (priority IN ('low', 'normal', 'high', 'critical')),
        status text NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'in_progress', 'completed', 'failed', 'cancelled')),
        result jsonb,
        error_message text,
        attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts BETWEEN 1 AND 10),
        timeout_ms integer CHECK (timeout_ms BETWEEN 100 AND 3600000),
        idempotency_key varchar(200),
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        started_at timestamptz(3),
        completed_at timestamptz(3),
        CONSTRAINT tasks_owner_idempotency_key UNIQUE (owner_id, idempotency_key)
      )`);
    // requested_agent_id (the agent the client named) has no foreign key on purpose: when that agent
    // is deleted the task must keep naming it and fail, not silently fall back to routing by
    // capability. agent_id is the agent that ran the latest attempt.
    await q.query(
      `CREATE INDEX tasks_owner_status_created_idx ON tasks (owner_id, status, created_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX tasks_owner_created_idx ON tasks (owner_id, created_at DESC, id DESC)`,
    );
    // The admin list (every owner) seeks on the same key.
    await q.query(`CREATE INDEX tasks_created_idx ON tasks (created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX tasks_agent_status_idx ON tasks (agent_id, status)`);
    await q.query(
      `CREATE INDEX tasks_owner_type_created_idx ON tasks (owner_id, task_type, created_at DESC)`,
    );
    // The reconciler only ever looks at unfinished tasks, oldest change first.
    await q.query(
      `CREATE INDEX tasks_unfinished_idx ON tasks (status, updated_at) WHERE status IN ('pending', 'in_progress')`,
    );

    await q.query(`
      CREATE TABLE task_attempts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        task_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
        number integer NOT NULL CHECK (number >= 1),
        agent_id uuid,
        started_at timestamptz(3) NOT NULL DEFAULT now(),
        finished_at timestamptz(3),
        outcome text CHECK (outcome IN ('succeeded', 'retryable_error', 'permanent_error')),
        http_status integer CHECK (http_status BETWEEN 100 AND 599),
        error text,
        CONSTRAINT task_attempts_task_number_key UNIQUE (task_id, number),
        -- An attempt is either running (neither) or over (both).
        CONSTRAINT task_attempts_outcome_when_finished CHECK ((outcome IS NULL) = (finished_at IS NULL))
      )`);
    // task_attempts.agent_id has no foreign key on purpose: an attempt is history and keeps naming
    // the agent it ran on after that agent is deleted. (It also spares every attempt a key check
    // on the agent row, which claims and releases update constantly.)
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE task_attempts`);
    await q.query(`DROP TABLE tasks`);
  }
}
