import { hash } from '@node-rs/argon2';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';

export const BENCH_PASSWORD = 'correct horse battery staple';

export interface SeededUser {
  id: string;
  username: string;
  /** The agent that ran 99% of the user's tasks, and the one that ran the other 1%. */
  agentId: string;
  sideAgentId: string;
  tasks: number;
}

export interface SeedPlan {
  /** Named users and how many tasks each owns. */
  owners: { username: string; tasks: number }[];
  /** Other users, each with a few tasks, so no table holds a single owner's rows only. */
  bystanders?: { users: number; tasksEach: number };
  /** Audit rows spread over the seeded users (bench/explain.sh needs a large audit table). */
  auditRows?: number;
  /** Where every seeded agent lives (the loopback no-op agent). */
  agentUrl: string;
  log?: (line: string) => void;
}

const BATCH = 250_000;

/**
 * Inserts users (argon2id hash of BENCH_PASSWORD, so they log in through the real API), one active
 * agent per user, and tasks with realistic columns, all with generate_series. Every seeded task is
 * in a final state (completed, failed, cancelled): pending or in_progress rows would be picked up
 * by the reconciler and dispatched during the measurement.
 */
export async function seed(db: Client, plan: SeedPlan): Promise<Map<string, SeededUser>> {
  const log = plan.log ?? (() => undefined);
  const started = performance.now();
  const passwordHash = await hash(BENCH_PASSWORD);
  const users = new Map<string, SeededUser>();

  for (const owner of plan.owners) {
    const {
      rows: [user],
    } = await db.query<{ id: string }>(
      `INSERT INTO users (username, email, password_hash) VALUES ($1::text, $1::text || '@bench.example', $2)
       RETURNING id`,
      [owner.username, passwordHash],
    );
    const agentId = await insertAgent(db, user.id, plan.agentUrl, 'noop');
    const sideAgentId = await insertAgent(db, user.id, plan.agentUrl, 'side');
    users.set(owner.username, {
      id: user.id,
      username: owner.username,
      agentId,
      sideAgentId,
      tasks: 0,
    });
  }
  if (plan.bystanders && plan.bystanders.users > 0) {
    await db.query(
      `INSERT INTO users (username, email, password_hash)
       SELECT 'bystander-' || g, 'bystander-' || g || '@bench.example', $2
         FROM generate_series(1, $1::int) g`,
      [plan.bystanders.users, passwordHash],
    );
    await db.query(
      `INSERT INTO agents (owner_id, name, capabilities, endpoint_url, signing_secret, status,
                           max_concurrency, last_heartbeat)
       SELECT id, 'agent', ARRAY['noop'], $1, md5(random()::text) || md5(random()::text), 'active',
              100, now()
         FROM users WHERE username LIKE 'bystander-%'`,
      [plan.agentUrl],
    );
    await db.query(
      `INSERT INTO tasks (owner_id, agent_id, name, task_type, parameters, status, result,
                          attempts, created_at, updated_at, started_at, completed_at)
       SELECT a.owner_id, a.id, 'task ' || g, 'summarize', jsonb_build_object('n', g), 'completed',
              '{"ok":true}'::jsonb, 1, t, t, t, t + interval '40 ms'
         FROM agents a
         JOIN users u ON u.id = a.owner_id AND u.username LIKE 'bystander-%'
        CROSS JOIN generate_series(1, $1::int) g
        CROSS JOIN LATERAL (SELECT now() - g * interval '61 seconds' AS t) times`,
      [plan.bystanders.tasksEach],
    );
  }

  for (const owner of plan.owners) {
    const user = users.get(owner.username)!;
    for (let from = 1; from <= owner.tasks; from += BATCH) {
      const to = Math.min(owner.tasks, from + BATCH - 1);
      await insertTasks(db, user, from, to);
      log(`  seeded ${to.toLocaleString('en')} tasks of ${owner.username}`);
    }
    user.tasks = owner.tasks;
  }

  if (plan.auditRows) await insertAudit(db, plan.auditRows);
  // Statistics for the planner, and the visibility map index-only scans rely on.
  await db.query('VACUUM (ANALYZE) users, agents, tasks, audit_logs');
  log(`  seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return users;
}

/** An active agent at the loopback no-op agent; only the one named noop can run noop tasks. */
async function insertAgent(
  db: Client,
  ownerId: string,
  url: string,
  name: string,
): Promise<string> {
  const {
    rows: [agent],
  } = await db.query<{ id: string }>(
    `INSERT INTO agents (owner_id, name, description, capabilities, endpoint_url, signing_secret,
                         status, max_concurrency, config, last_heartbeat)
     VALUES ($1, $4::text, 'Loopback agent answering every task at once',
             ARRAY[$4::text, 'summarize', 'translate', 'classify', 'extract'], $2, $3, 'active', 1000,
             '{"model":"none"}', now())
     RETURNING id`,
    [ownerId, url, randomBytes(32).toString('base64url'), name],
  );
  return agent.id;
}

/**
 * Tasks from..to of one owner, newest first by number: task g was created g * 997 ms before now,
 * so created_at values are distinct, spread over days for the large owner, at millisecond precision.
 * One task in a hundred ran on the owner's side agent.
 */
async function insertTasks(db: Client, user: SeededUser, from: number, to: number): Promise<void> {
  await db.query(
    `INSERT INTO tasks (owner_id, agent_id, name, description, task_type, parameters, priority,
                        status, result, error_message, attempts, max_attempts, created_at,
                        updated_at, started_at, completed_at)
     SELECT $1, CASE WHEN g % 100 = 42 THEN $5::uuid ELSE $2::uuid END,
            'Task ' || g,
            CASE WHEN g % 3 = 0 THEN 'Summarise quarterly report number ' || g END,
            (ARRAY['summarize', 'translate', 'classify', 'extract'])[1 + g % 4],
            jsonb_build_object('document', 'doc-' || g, 'language', 'en', 'maxTokens', 256 + g % 512),
            (ARRAY['low', 'normal', 'normal', 'high', 'critical'])[1 + g % 5],
            s.status,
            CASE WHEN s.status = 'completed'
                 THEN jsonb_build_object('summary', 'Result of task ' || g, 'tokens', 100 + g % 900) END,
            CASE WHEN s.status = 'failed' THEN 'Agent answered 422: unsupported document' END,
            CASE WHEN s.status = 'cancelled' THEN 0 ELSE 1 + (g % 7 = 0)::int END,
            3,
            t.created, t.created + interval '1500 ms',
            CASE WHEN s.status <> 'cancelled' THEN t.created + interval '20 ms' END,
            t.created + interval '1500 ms'
       FROM generate_series($3::int, $4::int) g
      CROSS JOIN LATERAL (SELECT CASE WHEN g % 100 < 94 THEN 'completed'
                                      WHEN g % 100 < 98 THEN 'failed'
                                      ELSE 'cancelled' END AS status) s
      CROSS JOIN LATERAL (SELECT date_trunc('milliseconds', now()) - g * interval '997 ms' AS created) t`,
    [user.id, user.agentId, from, to, user.sideAgentId],
  );
}

/** Audit rows like the API writes them: task.create/complete, logins, agent changes. */
async function insertAudit(db: Client, count: number): Promise<void> {
  await db.query(
    `INSERT INTO audit_logs (timestamp, actor_id, action, resource_type, resource_id, outcome,
                             ip_address, user_agent, request_id, details)
     SELECT date_trunc('milliseconds', now()) - g * interval '311 ms',
            actors.ids[1 + g % cardinality(actors.ids)],
            (ARRAY['task.create', 'task.complete', 'task.create', 'task.complete', 'auth.login',
                   'agent.update', 'task.fail', 'task.cancel'])[1 + g % 8],
            CASE WHEN g % 8 = 4 THEN 'user' WHEN g % 8 = 5 THEN 'agent' ELSE 'task' END,
            gen_random_uuid()::text,
            CASE WHEN g % 50 = 0 THEN 'failure' ELSE 'success' END,
            '10.0.' || (g % 250) || '.' || (g % 200),
            'bench-client/1.0',
            md5(g::text),
            jsonb_build_object('taskType', 'summarize', 'priority', 'normal')
       FROM generate_series(1, $1::int) g,
            (SELECT array_agg(id ORDER BY username) AS ids FROM users
              WHERE username NOT LIKE 'bystander-%') actors`,
    [count],
  );
}
