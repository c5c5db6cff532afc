import request from 'supertest';
import { AddressInfo } from 'node:net';
import { Pool, PoolClient } from 'pg';
import { TaskEventFeed } from '../src/execution/task-event-feed';
import { TaskEvent, TaskEventsService } from '../src/execution/task-events.service';
import { startApp, TestApp } from './support/app';
import { registerUser, RegisteredUser } from './support/factories';
import { isolatedEnv, IsolatedEnv } from './support/isolated-database';
import { taskReads, TaskView } from './support/tasks';
import { forTask, registerTestAgent, TestAgent, waitFor } from './support/test-agent';

const bearer = { type: 'bearer' as const };

/**
 * The task events (README, "Following a task") each state change writes in its own statement: the
 * event log as TaskEventsService reads it, the source of the event streams and webhooks.
 */
describe('task event log', () => {
  let iso: IsolatedEnv;
  let t: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let agent: TestAgent;
  let agentId: string;
  let events: TaskEventsService;
  const { status, finished, parked } = taskReads(
    () => t,
    () => alice,
  );

  const submit = async (body: Record<string, unknown>, as = alice) =>
    (
      await request(t.http)
        .post('/api/v1/tasks')
        .auth(as.accessToken, bearer)
        .send({ name: 'logged', taskType: 'logged', ...body })
        .expect(201)
    ).body as TaskView;
  /** Reads of everything stored, committed or not yet behind the feed's horizon. */
  const ALL = Number.MAX_SAFE_INTEGER;
  const ofTask = (task: TaskView, owner = alice) =>
    events.after(owner.id, 0, ALL, 1000, { taskId: task.id });
  /** The task's events once the last one is of type `last`. */
  const eventsUntil = (task: TaskView, last: string) =>
    waitFor(
      async () => {
        const log = await ofTask(task);
        return log.at(-1)?.type === last ? log : undefined;
      },
      { what: `a ${last} event of task ${task.id}` },
    );
  const summary = (log: TaskEvent[]) =>
    log.map((e) => ({ type: e.type, status: e.status, attempt: e.attempt }));

  beforeAll(async () => {
    iso = await isolatedEnv('event-log');
    t = await startApp({
      ...iso.env,
      AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1',
      TASK_BACKOFF_BASE_MS: '50',
      // The reconciler fails waits past their deadline.
      TASK_RECONCILE_INTERVAL_MS: '300',
    });
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    events = new TaskEventsService(t.dataSource);
    alice = await registerUser(t);
    bob = await registerUser(t);
    agent = await TestAgent.start();
    agent.apiBaseUrl = `http://127.0.0.1:${port}`;
    agentId = (await registerTestAgent(t, alice, agent, { capabilities: ['logged'] })).id;
  });

  afterAll(async () => {
    await t?.close();
    await agent?.stop();
    await iso?.drop();
  });

  it('records a run from creation to completion, with the agent and the result', async () => {
    const task = await submit({ parameters: { behaviour: 'succeed' }, priority: 'high' });
    const log = await eventsUntil(task, 'task.completed');
    expect(summary(log)).toEqual([
      { type: 'task.created', status: 'pending', attempt: null },
      { type: 'task.started', status: 'in_progress', attempt: 1 },
      { type: 'task.completed', status: 'completed', attempt: 1 },
    ]);
    expect(log.map((e) => [e.taskId, e.ownerId, e.taskType])).toEqual(
      Array(3).fill([task.id, alice.id, 'logged']),
    );
    expect(log[0].data).toEqual({
      name: 'logged',
      taskType: 'logged',
      priority: 'high',
      runAt: null,
    });
    expect(log[1].data).toEqual({ agentId });
    expect(log[2].data).toEqual({ result: (await finished(task.id)).result });
    expect(log[2].data).toMatchObject({ result: { echo: { behaviour: 'succeed' }, attempt: 1 } });
    // Ids increase in the order the events happened.
    expect(log[1].id).toBeGreaterThan(log[0].id);
    expect(log[2].id).toBeGreaterThan(log[1].id);
    expect(log[2].at.getTime()).toBeGreaterThanOrEqual(log[0].at.getTime());
  });

  it('records each retry and the final failure with the error', async () => {
    const task = await submit({ parameters: { behaviour: 'always-down' }, maxAttempts: 2 });
    const log = await eventsUntil(task, 'task.failed');
    expect(summary(log)).toEqual([
      { type: 'task.created', status: 'pending', attempt: null },
      { type: 'task.started', status: 'in_progress', attempt: 1 },
      { type: 'task.retrying', status: 'pending', attempt: 1 },
      { type: 'task.started', status: 'in_progress', attempt: 2 },
      { type: 'task.failed', status: 'failed', attempt: 2 },
    ]);
    expect(log[2].data).toEqual({
      outcome: 'retryable_error',
      error: expect.stringContaining('503'),
    });
    expect(log[4].data).toEqual({ error: (await finished(task.id)).errorMessage });
  });

  it('records a cancel with the status before it, and a retry after it', async () => {
    const task = await submit({ taskType: 'nobody-does-this', scheduleTimeoutMs: 600_000 });
    await parked(task.id);
    await request(t.http)
      .post(`/api/v1/tasks/${task.id}/cancel`)
      .auth(alice.accessToken, bearer)
      .expect(200);
    await request(t.http)
      .post(`/api/v1/tasks/${task.id}/retry`)
      .auth(alice.accessToken, bearer)
      .expect(200);
    const log = await eventsUntil(task, 'task.retried');
    expect(log.map((e) => [e.type, e.status, e.data])).toEqual([
      ['task.created', 'pending', expect.any(Object)],
      ['task.cancelled', 'cancelled', { previousStatus: 'pending' }],
      ['task.retried', 'pending', { attemptsBefore: 0 }],
    ]);
  });

  it('records a running attempt cancelled, naming it', async () => {
    const task = await submit({ parameters: { behaviour: 'hang' } });
    await agent.waitForRequest(forTask(task.id));
    await request(t.http)
      .post(`/api/v1/tasks/${task.id}/cancel`)
      .auth(alice.accessToken, bearer)
      .expect(200);
    const log = await eventsUntil(task, 'task.cancelled');
    expect(log.at(-1)).toMatchObject({
      attempt: 1,
      status: 'cancelled',
      data: { previousStatus: 'in_progress' },
    });
  });

  it("records the agent's progress and its result posted after a 202", async () => {
    const task = await submit({ parameters: { behaviour: 'accept-result', progress: true } });
    const log = await eventsUntil(task, 'task.completed');
    expect(summary(log)).toEqual([
      { type: 'task.created', status: 'pending', attempt: null },
      { type: 'task.started', status: 'in_progress', attempt: 1 },
      { type: 'task.progress', status: 'in_progress', attempt: 1 },
      { type: 'task.completed', status: 'completed', attempt: 1 },
    ]);
    expect(log[2].data).toMatchObject({ at: expect.any(String) });
  });

  it('records a wait that ended without an agent as a failure with no attempt', async () => {
    const task = await submit({ taskType: 'nobody-does-this', scheduleTimeoutMs: 1000 });
    await status(task.id, 'failed');
    const log = await eventsUntil(task, 'task.failed');
    expect(summary(log)).toEqual([
      { type: 'task.created', status: 'pending', attempt: null },
      { type: 'task.failed', status: 'failed', attempt: null },
    ]);
    expect(log[1].data).toEqual({
      error: expect.stringContaining('no agent with capability "nobody-does-this"'),
    });
  });

  it('numbers events in the order each task changed, none lost or twice, however many change at once', async () => {
    const feed = t.app.get(TaskEventFeed);
    const delivered: TaskEvent[] = [];
    const unlisten = feed.listen((settled) =>
      delivered.push(...settled.filter((e) => e.ownerId === bob.id)),
    );
    const start = await feed.horizon();
    const tasks = await Promise.all(
      Array.from({ length: 20 }, () =>
        submit({ taskType: 'bobs', scheduleTimeoutMs: 600_000 }, bob),
      ),
    );
    await Promise.all(
      tasks.map((task) =>
        request(t.http)
          .post(`/api/v1/tasks/${task.id}/cancel`)
          .auth(bob.accessToken, bearer)
          .expect(200),
      ),
    );
    const log = await events.after(bob.id, start, ALL, 1000);
    expect(log).toHaveLength(40);
    const ids = log.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(40);
    for (const task of tasks) {
      expect(log.filter((e) => e.taskId === task.id).map((e) => e.type)).toEqual([
        'task.created',
        'task.cancelled',
      ]);
    }
    // The feed delivers each once, in id order, as they commit.
    await waitFor(async () => delivered.length >= 40 || undefined, { what: '40 events delivered' });
    unlisten();
    expect(delivered.map((e) => e.id)).toEqual(ids);
    // Reads after an id, up to another, and by status or task type, see only what matches.
    expect((await events.after(bob.id, ids[34], ALL, 1000)).map((e) => e.id)).toEqual(
      ids.slice(35),
    );
    expect((await events.after(bob.id, start, ids[9], 1000)).map((e) => e.id)).toEqual(
      ids.slice(0, 10),
    );
    expect(await events.after(bob.id, start, ALL, 1000, { status: 'cancelled' })).toHaveLength(20);
    expect(await events.after(bob.id, start, ALL, 1000, { taskType: 'logged' })).toHaveLength(0);
    expect(await events.after(bob.id, start, ALL, 5)).toHaveLength(5);
  });

  describe('the feed, when event ids commit out of order', () => {
    let held: PoolClient;
    let pool: Pool;
    let task: TaskView;

    beforeAll(async () => {
      pool = new Pool({ connectionString: t.config.database.url, max: 1 });
      task = await submit({ taskType: 'nobody-does-this', scheduleTimeoutMs: 600_000 });
    });

    afterAll(async () => {
      await pool?.end();
    });

    /**
     * An event whose transaction has its id and an event id but has not committed, as a writing
     * statement holds them until its commit; then an event written after it, committed.
     */
    async function outOfOrder(): Promise<{ heldId: number; laterTask: TaskView }> {
      held = await pool.connect();
      await held.query('BEGIN');
      await held.query('SELECT pg_current_xact_id()');
      const [row] = (
        await held.query<{ id: string }>(
          `INSERT INTO task_events (owner_id, task_id, type, status, task_type)
           VALUES ($1, $2, 'task.progress', 'pending', 'nobody-does-this') RETURNING id`,
          [alice.id, task.id],
        )
      ).rows;
      const laterTask = await submit({ taskType: 'nobody-does-this', scheduleTimeoutMs: 600_000 });
      return { heldId: Number(row.id), laterTask };
    }

    /**
     * What the feed delivered of alice's events from the held one on: before `end` ends the held
     * transaction (300 ms after the later event committed, the feed told to read), and after.
     */
    async function delivered(end: () => Promise<void>) {
      const feed = t.app.get(TaskEventFeed);
      const seen: number[] = [];
      const unlisten = feed.listen((settled) =>
        seen.push(...settled.filter((e) => e.ownerId === alice.id).map((e) => e.id)),
      );
      await feed.horizon();
      try {
        const { heldId, laterTask } = await outOfOrder();
        const [later] = await ofTask(laterTask);
        expect(later.id).toBeGreaterThan(heldId);
        feed.advance();
        await new Promise((resolve) => setTimeout(resolve, 300));
        const before = seen.filter((id) => id >= heldId);
        await end();
        await waitFor(async () => seen.includes(later.id) || undefined, {
          what: `event ${later.id} delivered`,
        });
        return { heldId, laterId: later.id, before, after: seen.filter((id) => id >= heldId) };
      } finally {
        held.release();
        unlisten();
      }
    }

    it('delivers nothing after an id still to commit, then both in order once it has', async () => {
      const { heldId, laterId, before, after } = await delivered(() =>
        held.query('COMMIT').then(() => undefined),
      );
      expect(before).toEqual([]);
      expect(after).toEqual([heldId, laterId]);
    });

    it('passes over an id whose transaction rolled back', async () => {
      const { laterId, before, after } = await delivered(() =>
        held.query('ROLLBACK').then(() => undefined),
      );
      expect(before).toEqual([]);
      expect(after).toEqual([laterId]);
    });
  });
});
