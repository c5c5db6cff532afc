import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { Client } from 'pg';
import request from 'supertest';
import { TaskReconciler } from '../src/execution/task-reconciler.service';
import { QueueName } from '../src/queue/tasks.queue';
import { startApp, TestApp } from './support/app';
import { registerUser, RegisteredUser } from './support/factories';
import { isolatedEnv, IsolatedEnv } from './support/isolated-database';
import { taskReads, TaskView } from './support/tasks';
import { forTask, heartbeat, registerTestAgent, TestAgent, waitFor } from './support/test-agent';

/** The contract: a waiting task is dispatched within this long of an agent becoming available. */
const DISPATCHED_WITHIN_MS = 2000;

/** A user of one application, and what the tests do as that user. */
function actor(t: () => TestApp, user: () => RegisteredUser) {
  const bearer = { type: 'bearer' as const };
  return {
    ...taskReads(t, user),
    submit: async (body: Record<string, unknown>): Promise<TaskView> =>
      (
        await request(t().http)
          .post('/api/v1/tasks')
          .auth(user().accessToken, bearer)
          .send({ name: 'waits', ...body })
          .expect(201)
      ).body as TaskView,
    patchAgent: (id: string, body: Record<string, unknown>) =>
      request(t().http)
        .patch(`/api/v1/agents/${id}`)
        .auth(user().accessToken, bearer)
        .send(body)
        .expect(200),
  };
}

/**
 * README, "Task lifecycle": a task no agent can take now waits, pending and spending no attempt,
 * and is dispatched within 2 s of an agent becoming available. The reconciler runs once a minute
 * here: whatever wakes a task in these tests is the event itself (a heartbeat, a freed slot, a
 * change of the agent), not a periodic pass.
 */
describe('waiting for an agent', () => {
  let iso: IsolatedEnv;
  let t: TestApp;
  let alice: RegisteredUser;
  const as = actor(
    () => t,
    () => alice,
  );
  const agents: TestAgent[] = [];

  async function sleepingAgent(capabilities: string[], maxConcurrency = 10) {
    const agent = await TestAgent.start();
    agents.push(agent);
    const registered = await registerTestAgent(t, alice, agent, {
      capabilities,
      maxConcurrency,
      active: false,
    });
    return { agent, id: registered.id };
  }

  beforeAll(async () => {
    iso = await isolatedEnv('waiting');
    t = await startApp({
      ...iso.env,
      AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1',
      TASK_RECONCILE_INTERVAL_MS: '60000',
    });
    alice = await registerUser(t);
  });

  afterAll(async () => {
    await t?.close();
    for (const agent of agents) await agent.stop();
    await iso?.drop();
  });

  it("waits for its agent's first heartbeat with no attempt, then runs within 2 s of it", async () => {
    const { agent, id } = await sleepingAgent(['first-beat']);
    const task = await as.submit({ taskType: 'first-beat' });
    await as.parked(task.id);
    expect(await as.get(task.id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await as.attempts(task.id)).toEqual([]);
    // Waiting costs nothing in Redis: the job that found no agent is gone.
    const queue = t.app.get<Queue>(getQueueToken(QueueName.Tasks), { strict: false });
    await waitFor(async () => (await queue.getJob(task.id)) === null, {
      what: 'the job of the waiting task to end',
    });

    await heartbeat(t, alice, id);
    await agent.waitForRequest(forTask(task.id), DISPATCHED_WITHIN_MS);
    expect(await as.status(task.id, 'completed')).toMatchObject({ attempts: 1 });
  });

  it('waits for the agent it names while that agent is inactive', async () => {
    const { agent, id } = await sleepingAgent(['named-wait']);
    const task = await as.submit({ taskType: 'named-wait', agentId: id });
    await as.parked(task.id);
    await heartbeat(t, alice, id);
    await agent.waitForRequest(forTask(task.id), DISPATCHED_WITHIN_MS);
    expect(await as.status(task.id, 'completed')).toMatchObject({ attempts: 1, agentId: id });
  });

  it('waits while every slot is taken, and runs within 2 s of one being freed', async () => {
    const { agent, id } = await sleepingAgent(['one-slot'], 1);
    await heartbeat(t, alice, id);
    const first = await as.submit({
      taskType: 'one-slot',
      parameters: { behaviour: 'slow', ms: 1500 },
    });
    await agent.waitForRequest(forTask(first.id));
    const second = await as.submit({ taskType: 'one-slot' });
    await as.parked(second.id);
    expect(await as.get(second.id)).toMatchObject({ status: 'pending', attempts: 0 });

    await as.status(first.id, 'completed');
    const freedAt = Date.now();
    const sent = await agent.waitForRequest(forTask(second.id), DISPATCHED_WITHIN_MS);
    expect(sent.at - freedAt).toBeLessThan(DISPATCHED_WITHIN_MS);
    expect(await as.status(second.id, 'completed')).toMatchObject({ attempts: 1 });
  });

  it('runs when an active agent is given the capability or more slots', async () => {
    const { agent, id } = await sleepingAgent(['elsewhere'], 1);
    await heartbeat(t, alice, id);
    const task = await as.submit({ taskType: 'learned-later' });
    await as.parked(task.id);
    await as.patchAgent(id, { capabilities: ['elsewhere', 'learned-later'] });
    await agent.waitForRequest(forTask(task.id), DISPATCHED_WITHIN_MS);
    await as.status(task.id, 'completed');

    const blocker = await as.submit({ taskType: 'elsewhere', parameters: { behaviour: 'hang' } });
    await agent.waitForRequest(forTask(blocker.id));
    const queued = await as.submit({ taskType: 'elsewhere' });
    await as.parked(queued.id);
    await as.patchAgent(id, { maxConcurrency: 2 });
    await agent.waitForRequest(forTask(queued.id), DISPATCHED_WITHIN_MS);
    await as.status(queued.id, 'completed');
  });

  it('runs waiting tasks by priority, then oldest first, when an agent with one slot appears', async () => {
    const { agent, id } = await sleepingAgent(['ordered'], 1);
    const priorities = ['low', 'normal', 'critical', 'high', 'critical', 'normal'];
    const tasks: TaskView[] = [];
    for (const priority of priorities) {
      const task = await as.submit({ taskType: 'ordered', priority });
      await as.parked(task.id);
      tasks.push(task);
    }
    await heartbeat(t, alice, id);
    for (const task of tasks) await as.status(task.id, 'completed');

    const order = agent.requests
      .filter((r) => r.body?.taskType === 'ordered')
      .map((r) => tasks.findIndex((task) => task.id === r.body.taskId));
    // critical (oldest first), high, normal (oldest first), low.
    expect(order).toEqual([2, 4, 3, 1, 5, 0]);
  });

  it('hears an agent that became available while it was not listening, once it listens again', async () => {
    const { agent, id } = await sleepingAgent(['missed']);
    const task = await as.submit({ taskType: 'missed' });
    await as.parked(task.id);
    const admin = new Client({ connectionString: iso.env.MIGRATION_DATABASE_URL });
    await admin.connect();
    try {
      const listeners = `SELECT pid, backend_start FROM pg_stat_activity
                          WHERE datname = current_database() AND application_name LIKE '%-changes'`;
      const [listener] = (await admin.query<{ pid: number }>(listeners)).rows;
      // Gone for good before the agent's heartbeat: the notification reaches nobody.
      await admin.query('SELECT pg_terminate_backend($1, 5000)', [listener.pid]);
      const { rows } = await admin.query<{ at: Date }>(
        `UPDATE agents SET status = 'active', last_heartbeat = now() WHERE id = $1
         RETURNING clock_timestamp() AS at`,
        [id],
      );
      await agent.waitForRequest(forTask(task.id));
      await as.status(task.id, 'completed');
      const [again] = (await admin.query<{ backend_start: Date }>(listeners)).rows;
      expect(again.backend_start.getTime()).toBeGreaterThan(rows[0].at.getTime());
    } finally {
      await admin.end();
    }
  });
});

/**
 * The wait's end and what the reconciler does with waiting tasks: its pass (every 300 ms here)
 * fails those past their deadline, leaves the others alone, and queues a task a dead worker woke
 * but never queued.
 */
describe('waiting for an agent: deadlines and the reconciler', () => {
  let iso: IsolatedEnv;
  let t: TestApp;
  let alice: RegisteredUser;
  const as = actor(
    () => t,
    () => alice,
  );
  let agent: TestAgent;

  beforeAll(async () => {
    iso = await isolatedEnv('waiting-deadline');
    t = await startApp({
      ...iso.env,
      AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1',
      TASK_RECONCILE_INTERVAL_MS: '300',
    });
    alice = await registerUser(t);
    agent = await TestAgent.start();
  });

  afterAll(async () => {
    await t?.close();
    await agent?.stop();
    await iso?.drop();
  });

  it('fails a task whose named agent stayed inactive past scheduleTimeoutMs, naming it', async () => {
    const { id } = await registerTestAgent(t, alice, agent, {
      capabilities: ['late'],
      active: false,
    });
    const task = await as.submit({ taskType: 'late', agentId: id, scheduleTimeoutMs: 1000 });
    const failed = await as.status(task.id, 'failed');
    expect(failed).toMatchObject({
      attempts: 0,
      errorMessage: `agent ${id} did not become available within 1000 ms`,
    });
    expect(await as.attempts(task.id)).toEqual([]);
    const audit = await t.dataSource.query<{ action: string; details: { error: string } }[]>(
      `SELECT action, details FROM audit_logs WHERE resource_id = $1 ORDER BY timestamp, id`,
      [task.id],
    );
    expect(audit.map((row) => row.action)).toEqual(['task.create', 'task.fail']);
    expect(audit[1].details.error).toBe(failed.errorMessage);
    const metrics = (await request(t.http).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^tasks_total\{status="failed",type="late"\} 1$/m);
  });

  it('leaves a waiting task without a job across reconciler passes, and queues one woken but never queued', async () => {
    const { id } = await registerTestAgent(t, alice, agent, {
      capabilities: ['crash-wake'],
      active: false,
    });
    const task = await as.submit({ taskType: 'crash-wake' });
    await as.parked(task.id);
    const queue = t.app.get<Queue>(getQueueToken(QueueName.Tasks), { strict: false });
    const readGeneration = async () =>
      (
        await t.dataSource.query<{ job_generation: number }[]>(
          'SELECT job_generation FROM tasks WHERE id = $1',
          [task.id],
        )
      )[0].job_generation;
    // Passes of the reconciler (these three, besides its own): the task stays waiting, with no
    // job and no new generation.
    const reconciler = t.app.get(TaskReconciler);
    for (let passes = 0; passes < 3;) {
      const report = await reconciler.reconcile();
      if (report.ran) {
        passes += 1;
        expect(report).toMatchObject({ requeued: 0, failed: 0, expired: 0 });
      }
    }
    expect(await readGeneration()).toBe(0);
    expect(await queue.getJob(task.id)).toBeNull();
    expect(await as.get(task.id)).toMatchObject({ status: 'pending', attempts: 0 });

    // A worker that woke it (new generation, no longer waiting) and died before queueing it, in
    // the same transaction as the agent becoming active: the reconciler queues it.
    await t.dataSource.transaction(async (manager) => {
      await manager.query(
        `UPDATE tasks SET waiting_since = NULL, job_generation = 1, updated_at = now()
          WHERE id = $1`,
        [task.id],
      );
      await manager.query(
        `UPDATE agents SET status = 'active', last_heartbeat = now() WHERE id = $1`,
        [id],
      );
    });
    expect(await as.status(task.id, 'completed')).toMatchObject({ attempts: 1 });
    expect(agent.requestsFor(task.id)).toHaveLength(1);
  });
});

/**
 * Two worker processes (applications of their own, sharing the database and the queue) and an
 * api process: every notification reaches both workers, and each task still runs exactly once.
 */
describe('waiting for an agent with two workers', () => {
  let iso: IsolatedEnv;
  let api: TestApp;
  let workers: TestApp[] = [];
  let alice: RegisteredUser;
  const as = actor(
    () => api,
    () => alice,
  );
  let agent: TestAgent;

  beforeAll(async () => {
    iso = await isolatedEnv('waiting-pair');
    const env = {
      ...iso.env,
      AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1',
      TASK_RECONCILE_INTERVAL_MS: '60000',
    };
    api = await startApp({ ...env, APP_ROLE: 'api' });
    workers = [
      await startApp({ ...env, APP_ROLE: 'worker' }),
      await startApp({ ...env, APP_ROLE: 'worker' }),
    ];
    alice = await registerUser(api);
    agent = await TestAgent.start();
  });

  afterAll(async () => {
    for (const worker of workers) await worker.close();
    await api?.close();
    await agent?.stop();
    await iso?.drop();
  });

  it('dispatches every waiting task once when the agent appears', async () => {
    const { id } = await registerTestAgent(api, alice, agent, {
      capabilities: ['pair'],
      maxConcurrency: 3,
      active: false,
    });
    const tasks: TaskView[] = [];
    for (let i = 0; i < 20; i++) {
      tasks.push(await as.submit({ taskType: 'pair', parameters: { behaviour: 'slow', ms: 30 } }));
    }
    for (const task of tasks) await as.parked(task.id);
    await heartbeat(api, alice, id);
    for (const task of tasks) {
      expect(await as.status(task.id, 'completed', 30_000)).toMatchObject({ attempts: 1 });
    }
    for (const task of tasks) expect(agent.requestsFor(task.id)).toHaveLength(1);
  });
});
