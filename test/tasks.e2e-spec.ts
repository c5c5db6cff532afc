import { Client } from 'pg';
import request from 'supertest';
import { startApp, TestApp } from './support/app';
import { registerAdmin, registerUser, RegisteredUser } from './support/factories';
import { isolatedEnv, IsolatedEnv } from './support/isolated-database';
import { expectProblem } from './support/problem-details';
import { START_ATTEMPT } from '../src/execution/execution.sql';
import { heartbeat, registerTestAgent, TestAgent, waitFor } from './support/test-agent';

/**
 * The task pipeline end to end: the real application (API, queue, worker, reconciler) on real
 * PostgreSQL and Redis, dispatching over real HTTP to a test agent on 127.0.0.1.
 */
interface TaskView {
  id: string;
  status: string;
  attempts: number;
  agentId: string | null;
  errorMessage: string | null;
  startedAt: string | null;
  completedAt: string | null;
  [field: string]: unknown;
}

interface ListView {
  items: { id: string }[];
  total: number;
  nextCursor: string | null;
  [field: string]: unknown;
}

const idsOf = (list: ListView) => list.items.map((item) => item.id);

describe('tasks', () => {
  let iso: IsolatedEnv;
  let t: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let agent: TestAgent;
  let bobsAgent: TestAgent;
  let bobsAgentId: string;

  const FINAL = ['completed', 'failed', 'cancelled'];

  function as(user: RegisteredUser) {
    const bearer = { type: 'bearer' as const };
    return {
      post: (path: string) => request(t.http).post(path).auth(user.accessToken, bearer),
      get: (path: string) => request(t.http).get(path).auth(user.accessToken, bearer),
    };
  }

  async function submit(user: RegisteredUser, body: Record<string, unknown>) {
    const response = await as(user)
      .post('/api/v1/tasks')
      .send({ name: 'a task', taskType: 'echo', ...body })
      .expect(201);
    return response.body as TaskView;
  }

  async function waitForFinal(user: RegisteredUser, id: string, timeoutMs = 20_000) {
    return waitFor(
      async () => {
        const task = (await as(user).get(`/api/v1/tasks/${id}`).expect(200)).body as TaskView;
        return FINAL.includes(task.status) ? task : undefined;
      },
      { timeoutMs, what: `task ${id} to finish` },
    );
  }

  async function attemptsOf(user: RegisteredUser, id: string) {
    return (await as(user).get(`/api/v1/tasks/${id}/attempts`).expect(200)).body.items as {
      number: number;
      agentId: string | null;
      outcome: string | null;
      httpStatus: number | null;
      error: string | null;
      startedAt: string;
      finishedAt: string | null;
    }[];
  }

  /** When the task started waiting for an agent; null while it is not waiting. */
  async function waitingSince(taskId: string): Promise<Date | null> {
    const [row] = await t.dataSource.query<{ waiting_since: Date | null }[]>(
      'SELECT waiting_since FROM tasks WHERE id = $1',
      [taskId],
    );
    return row.waiting_since;
  }

  async function auditActions(taskId: string): Promise<string[]> {
    const rows = await t.dataSource.query<{ action: string }[]>(
      `SELECT action FROM audit_logs WHERE resource_type = 'task' AND resource_id = $1
        ORDER BY timestamp, id`,
      [taskId],
    );
    return rows.map((row) => row.action);
  }

  beforeAll(async () => {
    // Its own database and queue: other spec files' applications run workers too, with settings
    // (allow-list, backoff) that are not this file's.
    iso = await isolatedEnv('tasks');
    t = await startApp({
      ...iso.env,
      AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1',
      TASK_BACKOFF_BASE_MS: '100',
      TASK_RECONCILE_INTERVAL_MS: '500',
    });
    alice = await registerUser(t);
    bob = await registerUser(t);
    agent = await TestAgent.start();
    await registerTestAgent(t, alice, agent, { capabilities: ['echo'], maxConcurrency: 20 });
    bobsAgent = await TestAgent.start();
    bobsAgentId = (
      await registerTestAgent(t, bob, bobsAgent, { capabilities: ['echo', 'bob-only'] })
    ).id;
  });

  afterAll(async () => {
    await t?.close();
    await agent?.stop();
    await bobsAgent?.stop();
    await iso?.drop();
  });

  it('completes a task with the result the agent answered, signed and recorded', async () => {
    const created = await submit(alice, {
      name: 'summarise',
      parameters: { behaviour: 'succeed', text: 'hello' },
      priority: 'high',
    });
    expect(created).toMatchObject({
      status: 'pending',
      ownerId: alice.id,
      taskType: 'echo',
      priority: 'high',
      attempts: 0,
      maxAttempts: 3,
      result: null,
    });

    const task = await waitForFinal(alice, created.id);
    expect(task).toMatchObject({
      status: 'completed',
      attempts: 1,
      errorMessage: null,
      result: { echo: { behaviour: 'succeed', text: 'hello' }, attempt: 1 },
    });
    expect(task.startedAt).not.toBeNull();
    expect(task.completedAt).not.toBeNull();

    const [sent] = agent.requestsFor(created.id);
    expect(sent.signatureValid).toBe(true);
    expect(sent.body).toEqual({
      taskId: created.id,
      attempt: 1,
      taskType: 'echo',
      name: 'summarise',
      parameters: { behaviour: 'succeed', text: 'hello' },
      priority: 'high',
    });
    expect(sent.headers).toMatchObject({
      'x-ymera-task-id': created.id,
      'x-ymera-attempt': '1',
      'x-ymera-timestamp': expect.stringMatching(/^\d{10}$/),
      'x-ymera-signature': expect.stringMatching(/^sha256=[0-9a-f]{64}$/),
    });

    const attempts = await attemptsOf(alice, created.id);
    expect(attempts).toEqual([
      expect.objectContaining({ number: 1, outcome: 'succeeded', httpStatus: 200, error: null }),
    ]);
    expect(attempts[0].agentId).toBe(task.agentId);
    expect(await auditActions(created.id)).toEqual(['task.create', 'task.complete']);

    const metrics = (await request(t.http).get('/metrics').expect(200)).text.split('\n');
    for (const status of ['created', 'completed']) {
      expect(
        metrics.some(
          (line) =>
            line.startsWith('tasks_total{') &&
            line.includes(`status="${status}"`) &&
            line.includes('type="echo"'),
        ),
      ).toBe(true);
    }
  });

  it('moves tasks_total when tasks are created, complete and fail', async () => {
    const count = async (status: string): Promise<number> => {
      const text = (await request(t.http).get('/metrics').expect(200)).text;
      const line = text
        .split('\n')
        .find((l) => l.startsWith(`tasks_total{status="${status}",type="echo"}`));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const before = {
      created: await count('created'),
      completed: await count('completed'),
      failed: await count('failed'),
    };
    const ok = await submit(alice, { parameters: { behaviour: 'succeed' } });
    const bad = await submit(alice, { parameters: { behaviour: 'fail-permanent', status: 422 } });
    expect((await waitForFinal(alice, ok.id)).status).toBe('completed');
    expect((await waitForFinal(alice, bad.id)).status).toBe('failed');
    expect(await count('created')).toBe(before.created + 2);
    expect(await count('completed')).toBe(before.completed + 1);
    expect(await count('failed')).toBe(before.failed + 1);
  });

  it('retries transient failures with growing gaps, then completes', async () => {
    const created = await submit(alice, {
      parameters: { behaviour: 'fail-transient-n', n: 2 },
    });
    const task = await waitForFinal(alice, created.id);
    expect(task).toMatchObject({ status: 'completed', attempts: 3, result: { attempt: 3 } });

    const attempts = await attemptsOf(alice, created.id);
    expect(attempts.map((a) => [a.number, a.outcome, a.httpStatus])).toEqual([
      [1, 'retryable_error', 503],
      [2, 'retryable_error', 503],
      [3, 'succeeded', 200],
    ]);
    const times = agent.requestsFor(created.id).map((r) => r.at);
    expect(times).toHaveLength(3);
    // Backoff doubles: the second wait is longer than the first (an ordering, not a timing).
    expect(times[2] - times[1]).toBeGreaterThan(times[1] - times[0]);
  });

  it('fails at once, without retrying, when the agent answers a 4xx', async () => {
    const created = await submit(alice, {
      parameters: { behaviour: 'fail-permanent', status: 422 },
      maxAttempts: 5,
    });
    const task = await waitForFinal(alice, created.id);
    expect(task).toMatchObject({ status: 'failed', attempts: 1 });
    expect(task.errorMessage).toContain('HTTP 422');
    expect(await attemptsOf(alice, created.id)).toEqual([
      expect.objectContaining({ number: 1, outcome: 'permanent_error', httpStatus: 422 }),
    ]);
    expect(agent.requestsFor(created.id)).toHaveLength(1);
    expect(await auditActions(created.id)).toEqual(['task.create', 'task.fail']);
  });

  it.each([
    ['not JSON', 'not-json', 'not JSON'],
    ['a 2xx without result', 'no-result', 'has no "result"'],
    ['over 1 MiB', 'huge', 'larger than'],
  ])('fails at once when the reply is %s', async (_case, behaviour, message) => {
    const created = await submit(alice, { parameters: { behaviour } });
    const task = await waitForFinal(alice, created.id);
    expect(task).toMatchObject({ status: 'failed', attempts: 1 });
    expect(task.errorMessage).toContain(message);
  });

  it("keeps the agent's own message with a failed attempt, after the status", async () => {
    const refused = await submit(alice, {
      parameters: { behaviour: 'fail-problem', detail: 'parameters.url is not a PDF' },
    });
    const failed = await waitForFinal(alice, refused.id);
    const expected = 'the agent answered HTTP 422: parameters.url is not a PDF';
    expect(failed).toMatchObject({ status: 'failed', attempts: 1, errorMessage: expected });
    expect(await attemptsOf(alice, refused.id)).toEqual([
      expect.objectContaining({ outcome: 'permanent_error', httpStatus: 422, error: expected }),
    ]);

    // A text body: its start, control characters stripped, at most 1,000 characters of it.
    const text = `overloaded,\r\n\u001b[1mtry again\u0007 later ${'x'.repeat(3000)}`;
    const down = await submit(alice, {
      parameters: { behaviour: 'fail-text', text },
      maxAttempts: 1,
    });
    const [attempt] = await attemptsOf(alice, (await waitForFinal(alice, down.id)).id);
    expect(attempt).toMatchObject({ outcome: 'retryable_error', httpStatus: 503 });
    const prefix = 'the agent answered HTTP 503: overloaded, try again later xxx';
    expect(attempt.error?.startsWith(prefix)).toBe(true);
    expect(Array.from(attempt.error!.slice('the agent answered HTTP 503: '.length))).toHaveLength(
      1000,
    );
    expect((await as(alice).get(`/api/v1/tasks/${down.id}`).expect(200)).body.errorMessage).toBe(
      attempt.error,
    );
  });

  it('fails after maxAttempts when the agent is always down', async () => {
    const created = await submit(alice, {
      parameters: { behaviour: 'always-down' },
      maxAttempts: 3,
    });
    const task = await waitForFinal(alice, created.id);
    expect(task).toMatchObject({ status: 'failed', attempts: 3 });
    expect(task.errorMessage).toContain('HTTP 503');
    const attempts = await attemptsOf(alice, created.id);
    expect(attempts.map((a) => a.outcome)).toEqual([
      'retryable_error',
      'retryable_error',
      'retryable_error',
    ]);
    expect(agent.requestsFor(created.id)).toHaveLength(3);
  });

  it('cuts a hanging agent off at the task timeout', async () => {
    const created = await submit(alice, {
      parameters: { behaviour: 'hang' },
      timeoutMs: 300,
      maxAttempts: 1,
    });
    const task = await waitForFinal(alice, created.id);
    expect(task).toMatchObject({ status: 'failed', attempts: 1 });
    expect(task.errorMessage).toBe('the agent did not answer within 300 ms');
    expect(await attemptsOf(alice, created.id)).toEqual([
      expect.objectContaining({ outcome: 'retryable_error', httpStatus: null }),
    ]);
  });

  it('waits, spending no attempt, while no agent has the capability, then fails saying so', async () => {
    const created = await submit(alice, {
      taskType: 'nobody-does-this',
      maxAttempts: 2,
      scheduleTimeoutMs: 1000,
    });
    await waitFor(async () => (await waitingSince(created.id)) !== null, {
      what: 'the task to wait for an agent',
    });
    expect((await as(alice).get(`/api/v1/tasks/${created.id}`).expect(200)).body).toMatchObject({
      status: 'pending',
      attempts: 0,
    });
    const task = await waitForFinal(alice, created.id);
    expect(task).toMatchObject({
      status: 'failed',
      attempts: 0,
      errorMessage: 'no agent with capability "nobody-does-this" became available within 1000 ms',
    });
    expect(await attemptsOf(alice, created.id)).toEqual([]);
    expect(await auditActions(created.id)).toEqual(['task.create', 'task.fail']);
  });

  it("refuses a task naming another user's agent, or no agent, with 400", async () => {
    for (const agentId of [bobsAgentId, '6f1c2f9e-2a43-4d0e-9d0b-3f3b1c1a2b3c']) {
      const response = await as(alice)
        .post('/api/v1/tasks')
        .send({ name: 'not yours', taskType: 'bob-only', agentId });
      expectProblem(response, 400);
      expect(response.body.type).toBe('urn:ymera:problem:unknown-agent');
      expect(response.body.detail).toContain(agentId);
    }
    const [{ count }] = await t.dataSource.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM tasks WHERE owner_id = $1 AND task_type = 'bob-only'`,
      [alice.id],
    );
    expect(count).toBe(0);
    expect(bobsAgent.requests).toHaveLength(0);

    // Bob's own task on the same agent goes through.
    const own = await submit(bob, { taskType: 'bob-only', agentId: bobsAgentId });
    expect((await waitForFinal(bob, own.id)).status).toBe('completed');
    expect(bobsAgent.requestsFor(own.id)).toHaveLength(1);
  });

  it('answers 404 to everyone but the owner and admins', async () => {
    const created = await submit(alice, { parameters: { behaviour: 'succeed' } });
    await waitForFinal(alice, created.id);
    for (const response of [
      await as(bob).get(`/api/v1/tasks/${created.id}`),
      await as(bob).post(`/api/v1/tasks/${created.id}/cancel`),
      await as(bob).get(`/api/v1/tasks/${created.id}/attempts`),
    ]) {
      expectProblem(response, 404);
      expect(response.body.type).toBe('urn:ymera:problem:task-not-found');
      expect(response.body.detail).toBe('Task not found.');
    }
    const listed = (await as(bob).get('/api/v1/tasks?limit=1000').expect(200)).body as ListView;
    expect(idsOf(listed)).not.toContain(created.id);

    const admin = await registerAdmin(t);
    await as(admin).get(`/api/v1/tasks/${created.id}`).expect(200);
    await as(admin).get(`/api/v1/tasks/${created.id}/attempts`).expect(200);
  });

  it('returns the first task for a repeated Idempotency-Key, and creates no second', async () => {
    const key = `key-${Date.now()}`;
    const body = { name: 'once', taskType: 'echo', parameters: { behaviour: 'succeed' } };
    const first = await as(alice)
      .post('/api/v1/tasks')
      .set('Idempotency-Key', key)
      .send(body)
      .expect(201);
    const again = await as(alice)
      .post('/api/v1/tasks')
      .set('Idempotency-Key', key)
      .send({ ...body, name: 'different body' })
      .expect(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.name).toBe('once');

    // Racing requests with one key: one creates, the others get that task.
    const raceKey = `race-${Date.now()}`;
    const racing = await Promise.all(
      Array.from({ length: 6 }, () =>
        as(alice).post('/api/v1/tasks').set('Idempotency-Key', raceKey).send(body),
      ),
    );
    expect(racing.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    expect(new Set(racing.map((r) => (r.body as TaskView).id)).size).toBe(1);

    const [{ count }] = await t.dataSource.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM tasks WHERE idempotency_key = ANY($1)`,
      [[key, raceKey]],
    );
    expect(count).toBe(2);
    const audited = await t.dataSource.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM audit_logs WHERE action = 'task.create' AND resource_id = $1`,
      [racing[0].body.id],
    );
    expect(audited[0].count).toBe(1);

    // Keys are per user: Bob's request with Alice's key is a task of his own.
    const bobs = await as(bob).post('/api/v1/tasks').set('Idempotency-Key', key).send(body);
    expect(bobs.status).toBe(201);
    expect(bobs.body.id).not.toBe(first.body.id);
  });

  it('cancels a waiting task, which is then never dispatched', async () => {
    const sleeper = await TestAgent.start();
    try {
      // Registered but inactive (no heartbeat yet): the task waits for an agent.
      const registered = await registerTestAgent(t, alice, sleeper, {
        capabilities: ['wake-up'],
        active: false,
      });
      const created = await submit(alice, { taskType: 'wake-up', maxAttempts: 10 });
      await waitFor(async () => (await waitingSince(created.id)) !== null, {
        what: 'the task to wait for an agent',
      });

      const cancelled = await as(alice).post(`/api/v1/tasks/${created.id}/cancel`).expect(200);
      expect(cancelled.body).toMatchObject({ id: created.id, status: 'cancelled', attempts: 0 });
      expect(cancelled.body.completedAt).not.toBeNull();
      expect(await waitingSince(created.id)).toBeNull();

      // The agent wakes up; a later task of the same type reaches it, the cancelled one never.
      await heartbeat(t, alice, registered.id);
      const sentinel = await submit(alice, { taskType: 'wake-up' });
      expect((await waitForFinal(alice, sentinel.id)).status).toBe('completed');
      expect(sleeper.requestsFor(created.id)).toHaveLength(0);
      expect((await as(alice).get(`/api/v1/tasks/${created.id}`).expect(200)).body.status).toBe(
        'cancelled',
      );
      expect(await attemptsOf(alice, created.id)).toEqual([]);
      expect(await auditActions(created.id)).toEqual(['task.create', 'task.cancel']);
    } finally {
      await sleeper.stop();
    }
  });

  it('cancels a task mid-dispatch: the request is aborted and the agent sent a signed task.cancel', async () => {
    const created = await submit(alice, { parameters: { behaviour: 'hang' } });
    const dispatch = await agent.waitForRequest((r) => r.body?.taskId === created.id);
    const cancelled = await as(alice).post(`/api/v1/tasks/${created.id}/cancel`).expect(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', result: null });
    // Closed in the statement that cancelled the task.
    expect(await attemptsOf(alice, created.id)).toEqual([
      expect.objectContaining({ number: 1, outcome: 'cancelled', httpStatus: null }),
    ]);

    const cancel = await agent.waitForCancel((r) => r.body?.taskId === created.id);
    expect(cancel.signatureValid).toBe(true);
    expect(cancel.headers).toMatchObject({
      'x-ymera-event': 'task.cancel',
      'x-ymera-task-id': created.id,
      'x-ymera-attempt': '1',
    });
    expect(JSON.parse(cancel.raw)).toEqual({ taskId: created.id, attempt: 1 });
    expect(dispatch.headers['x-ymera-event']).toBe('task.dispatch');
    await waitFor(() => dispatch.abandoned, { what: 'the dispatch request to be aborted' });

    // What the agent says afterwards is ignored.
    const late = await request(t.http)
      .post(`/api/v1/agent/tasks/${created.id}/result`)
      .auth(agent.agentToken, { type: 'bearer' })
      .send({ attempt: 1, result: 'too late' });
    expectProblem(late, 409);
    expect(late.body.type).toBe('urn:ymera:problem:attempt-not-running');
    const task = (await as(alice).get(`/api/v1/tasks/${created.id}`).expect(200)).body as TaskView;
    expect(task).toMatchObject({ status: 'cancelled', result: null });
    expect(await auditActions(created.id)).toEqual(['task.create', 'task.cancel']);
  });

  it('answers 409 when cancelling a task that already finished', async () => {
    const created = await submit(alice, { parameters: { behaviour: 'succeed' } });
    await waitForFinal(alice, created.id);
    const response = await as(alice).post(`/api/v1/tasks/${created.id}/cancel`);
    expectProblem(response, 409);
    expect(response.body.type).toBe('urn:ymera:problem:task-already-finished');
    expect(response.body.detail).toBe('The task is already completed.');

    const waiting = await submit(alice, { taskType: 'nobody-does-this', maxAttempts: 10 });
    await as(alice).post(`/api/v1/tasks/${waiting.id}/cancel`).expect(200);
    expectProblem(await as(alice).post(`/api/v1/tasks/${waiting.id}/cancel`), 409);
  });

  it('refuses a request signed with a secret the agent does not know', async () => {
    const strict = await TestAgent.start();
    try {
      await registerTestAgent(t, alice, strict, { capabilities: ['strict'] });
      strict.secret = 'not-the-secret-ymera-holds';
      const created = await submit(alice, { taskType: 'strict' });
      const task = await waitForFinal(alice, created.id);
      expect(task).toMatchObject({ status: 'failed', attempts: 1 });
      expect(task.errorMessage).toContain('HTTP 401');
      expect(strict.requestsFor(created.id)[0].signatureValid).toBe(false);
    } finally {
      await strict.stop();
    }
  });

  it("starts an attempt through the task's own attempts, never the index of running ones", async () => {
    // Every attempt leaves a dead entry in that index when it finishes, until VACUUM: a start that
    // read it would cost more with every task run since. Sequential scans are off, so the plans
    // show every index the planner could use; both plan kinds a prepared statement may run with.
    type PlanNode = { 'Index Name'?: string; Plans?: PlanNode[] };
    const indexesOf = (node: PlanNode): string[] => [
      ...(node['Index Name'] ? [node['Index Name']] : []),
      ...(node.Plans ?? []).flatMap(indexesOf),
    ];
    // A connection of its own: the application's pooled ones hold its prepared statements.
    const db = new Client({ connectionString: iso.env.DATABASE_URL });
    await db.connect();
    const indexesUsed = async (execute: string) => {
      const { rows } = await db.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
        `EXPLAIN (FORMAT JSON) EXECUTE ${execute}`,
      );
      return indexesOf(rows[0]['QUERY PLAN'][0].Plan);
    };
    try {
      await db.query(`SET enable_seqscan = off`);
      await db.query(`PREPARE start_attempt AS ${START_ATTEMPT.text}`);
      await db.query(
        `PREPARE in_flight AS
           SELECT count(*) FROM task_attempts WHERE agent_id = $1 AND finished_at IS NULL`,
      );
      for (const mode of ['force_custom_plan', 'force_generic_plan']) {
        await db.query(`SET plan_cache_mode = ${mode}`);
        const start = await indexesUsed(
          `start_attempt(gen_random_uuid(), gen_random_uuid(), 'interrupted', gen_random_uuid(), 0)`,
        );
        expect(start).toContain('tasks_pkey');
        expect(start).not.toContain('task_attempts_slot_holders_idx');
        // The index still serves what it is for: an agent's running attempts.
        expect(await indexesUsed(`in_flight(gen_random_uuid())`)).toContain(
          'task_attempts_slot_holders_idx',
        );
      }
    } finally {
      await db.end();
    }
  });

  describe('list', () => {
    let carol: RegisteredUser;
    const ids: string[] = [];

    beforeAll(async () => {
      carol = await registerUser(t);
      for (const taskType of ['list-a', 'list-b', 'list-a']) {
        // No agent of carol's ever takes them: they fail once their wait is over.
        ids.push((await submit(carol, { taskType, scheduleTimeoutMs: 1000 })).id);
      }
      for (const id of ids) await waitForFinal(carol, id);
    });

    it('pages newest first with a cursor', async () => {
      const first = (await as(carol).get('/api/v1/tasks?limit=2').expect(200)).body as ListView;
      expect(first).toMatchObject({ total: 3, skip: 0, limit: 2 });
      expect(idsOf(first)).toEqual([ids[2], ids[1]]);
      expect(first.nextCursor).toEqual(expect.any(String));
      const second = (
        await as(carol)
          .get('/api/v1/tasks')
          .query({ limit: 2, cursor: first.nextCursor })
          .expect(200)
      ).body as ListView;
      expect(idsOf(second)).toEqual([ids[0]]);
      expect(second.nextCursor).toBeNull();
    });

    it('filters by status, taskType and agentId', async () => {
      const byType = (await as(carol).get('/api/v1/tasks?taskType=list-a').expect(200))
        .body as ListView;
      expect(idsOf(byType)).toEqual([ids[2], ids[0]]);
      const failed = (await as(carol).get('/api/v1/tasks?status=failed').expect(200)).body;
      expect(failed.total).toBe(3);
      const completed = (await as(carol).get('/api/v1/tasks?status=completed').expect(200)).body;
      expect(completed.total).toBe(0);
      const byAgent = (await as(carol).get(`/api/v1/tasks?agentId=${bobsAgentId}`).expect(200))
        .body;
      expect(byAgent.total).toBe(0);
    });

    it('lists each task exactly as GET /tasks/:id shows it', async () => {
      const erin = await registerUser(t);
      const odd = await submit(erin, {
        name: 'quote " backslash \\ tab \t ünïcödé 😀',
        description: 'line\nbreak </script>',
        taskType: 'list-odd',
        parameters: { nested: { list: [1, 'two', null, true, 2.5e-7] }, empty: {} },
        priority: 'high',
        scheduleTimeoutMs: 1000,
      });
      await waitForFinal(erin, odd.id);
      const shown = (await as(erin).get(`/api/v1/tasks/${odd.id}`).expect(200)).body as TaskView;
      const listed = await as(erin).get('/api/v1/tasks').expect(200);
      expect(listed.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(listed.body).toEqual({
        items: [shown],
        total: 1,
        skip: 0,
        limit: 100,
        nextCursor: null,
      });
      // Same fields in the same order, whichever way the answer was written.
      expect(Object.keys(listed.body.items[0])).toEqual(Object.keys(shown));
      const admin = await registerAdmin(t);
      const all = (await as(admin).get(`/api/v1/tasks?taskType=list-odd`).expect(200)).body;
      expect(all.items).toEqual([shown]);
    });

    it('pages by skip to the same tasks as by cursor', async () => {
      const page = async (skip: number) =>
        (await as(carol).get(`/api/v1/tasks?limit=1&skip=${skip}`).expect(200)).body as ListView;
      expect(idsOf(await page(1))).toEqual([ids[1]]);
      const last = await page(2);
      expect(last).toMatchObject({ total: 3, skip: 2, limit: 1, nextCursor: null });
      expect(idsOf(last)).toEqual([ids[0]]);
      expect(await page(3)).toMatchObject({ items: [], total: 3, nextCursor: null });
      const byType = (await as(carol).get('/api/v1/tasks?taskType=list-a&skip=1').expect(200))
        .body as ListView;
      expect(idsOf(byType)).toEqual([ids[0]]);
      // The cursor of a page reached by skip continues from it.
      const resumed = (
        await as(carol)
          .get('/api/v1/tasks')
          .query({ limit: 1, cursor: (await page(0)).nextCursor })
          .expect(200)
      ).body as ListView;
      expect(idsOf(resumed)).toEqual([ids[1]]);
    });

    it('keeps total exact however tasks are added or removed, for owners and admins', async () => {
      const dave = await registerUser(t);
      const total = async (user: RegisteredUser) =>
        ((await as(user).get('/api/v1/tasks?limit=1').expect(200)).body as ListView).total;
      // Written and removed behind the API's back (nothing in the API deletes a task), in bulk
      // statements and one row at a time.
      await t.dataSource.query(
        `INSERT INTO tasks (owner_id, name, task_type, status)
         SELECT $1, 'bulk ' || g, 'bulk', 'cancelled' FROM generate_series(1, 250) g`,
        [dave.id],
      );
      expect(await total(dave)).toBe(250);
      await t.dataSource.query(
        `DELETE FROM tasks WHERE id IN (SELECT id FROM tasks WHERE owner_id = $1 LIMIT 100)`,
        [dave.id],
      );
      await t.dataSource.query(
        `DELETE FROM tasks WHERE id = (SELECT id FROM tasks WHERE owner_id = $1 LIMIT 1)`,
        [dave.id],
      );
      expect(await total(dave)).toBe(149);
      const filtered = (await as(dave).get('/api/v1/tasks?taskType=bulk&limit=1').expect(200))
        .body as ListView;
      expect(filtered.total).toBe(149);

      const admin = await registerAdmin(t);
      const [{ count }] = await t.dataSource.query<{ count: number }[]>(
        `SELECT count(*)::int AS count FROM tasks`,
      );
      expect(await total(admin)).toBe(count);
      // A deleted user's tasks go with it, and so does its count.
      await t.dataSource.query(`DELETE FROM users WHERE id = $1`, [dave.id]);
      const [{ counts }] = await t.dataSource.query<{ counts: number }[]>(
        `SELECT count(*)::int AS counts FROM task_counts WHERE owner_id = $1`,
        [dave.id],
      );
      expect(counts).toBe(0);
      expect(await total(admin)).toBe(count - 149);
    });

    it('clamps a large limit and refuses bad paging and filters', async () => {
      const clamped = (await as(carol).get('/api/v1/tasks?limit=5000').expect(200)).body;
      expect(clamped.limit).toBe(1000);
      for (const query of ['skip=-1', 'limit=0', 'status=done', 'agentId=nope', 'limit=abc']) {
        expectProblem(await as(carol).get(`/api/v1/tasks?${query}`), 400);
      }
    });
  });

  it('validates every field of a new task', async () => {
    const valid = { name: 'n', taskType: 'echo' };
    const invalid: [string, Record<string, unknown>][] = [
      ['name', { taskType: 'echo' }],
      ['name', { ...valid, name: '' }],
      ['name', { ...valid, name: 'x'.repeat(201) }],
      ['taskType', { name: 'n' }],
      ['taskType', { ...valid, taskType: 'has spaces' }],
      ['description', { ...valid, description: 'x'.repeat(2001) }],
      ['priority', { ...valid, priority: 'urgent' }],
      ['agentId', { ...valid, agentId: 'not-a-uuid' }],
      ['maxAttempts', { ...valid, maxAttempts: 0 }],
      ['maxAttempts', { ...valid, maxAttempts: 11 }],
      ['maxAttempts', { ...valid, maxAttempts: 2.5 }],
      ['timeoutMs', { ...valid, timeoutMs: 99 }],
      ['timeoutMs', { ...valid, timeoutMs: 3_600_001 }],
      ['scheduleTimeoutMs', { ...valid, scheduleTimeoutMs: 999 }],
      ['scheduleTimeoutMs', { ...valid, scheduleTimeoutMs: 604_800_001 }],
      ['scheduleTimeoutMs', { ...valid, scheduleTimeoutMs: 1500.5 }],
      ['parameters', { ...valid, parameters: [1, 2] }],
      ['parameters', { ...valid, parameters: 'text' }],
      ['parameters', { ...valid, parameters: { blob: 'x'.repeat(300 * 1024) } }],
      ['status', { ...valid, status: 'completed' }],
    ];
    for (const [field, body] of invalid) {
      const response = await as(alice).post('/api/v1/tasks').send(body);
      expectProblem(response, 400);
      const errors = (response.body as { errors: { field: string }[] }).errors;
      expect(errors.map((e) => e.field)).toContain(field);
    }
    const badKey = await as(alice)
      .post('/api/v1/tasks')
      .set('Idempotency-Key', 'x'.repeat(201))
      .send(valid);
    expectProblem(badKey, 400);
    expect(badKey.body.type).toBe('urn:ymera:problem:invalid-idempotency-key');
    expectProblem(await as(alice).get('/api/v1/tasks/not-a-uuid'), 400);
    expectProblem(await request(t.http).post('/api/v1/tasks').send(valid), 401);
  });
});
