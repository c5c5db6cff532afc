import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { QueueName } from '../src/queue/tasks.queue';
import { startApp, TestApp } from './support/app';
import { registerAdmin, registerUser, RegisteredUser } from './support/factories';
import { isolatedEnv, IsolatedEnv } from './support/isolated-database';
import { expectProblem } from './support/problem-details';
import { taskReads, TaskView } from './support/tasks';
import { forTask, heartbeat, registerTestAgent, TestAgent, waitFor } from './support/test-agent';

const BOARD_USER = 'ops';
const BOARD_PASSWORD = `board-${randomUUID()}`;

/**
 * POST /api/v1/tasks/:id/retry (README, "Task lifecycle"): a failed or cancelled task goes back to
 * pending with a fresh budget of maxAttempts, its attempts numbered on from the earlier ones.
 */
describe('retrying a task', () => {
  let iso: IsolatedEnv;
  let t: TestApp;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let agent: TestAgent;
  /** An agent that comes only when a test wakes it, and one that never does. */
  let sleeper: TestAgent;
  let sleeperId: string;
  let neverId: string;

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const retry = (id: string, token = alice.accessToken) =>
    request(t.http).post(`/api/v1/tasks/${id}/retry`).set(bearer(token));
  const { get, attempts, status, parked } = taskReads(
    () => t,
    () => alice,
  );
  const submit = async (body: Record<string, unknown>) =>
    (
      await request(t.http)
        .post('/api/v1/tasks')
        .set(bearer(alice.accessToken))
        .send({ name: 'replayed', taskType: 'replay', ...body })
        .expect(201)
    ).body as TaskView;
  const auditRows = (id: string) =>
    t.dataSource.query<
      { action: string; actor_id: string | null; details: Record<string, unknown> }[]
    >(
      `SELECT action, actor_id, details FROM audit_logs
        WHERE resource_type = 'task' AND resource_id = $1 ORDER BY timestamp, id`,
      [id],
    );
  const cancel = (id: string) =>
    request(t.http).post(`/api/v1/tasks/${id}/cancel`).set(bearer(alice.accessToken)).expect(200);
  /** A task that waits (pending) for an agent that has not heartbeated. */
  const waitingTask = async (agentId = neverId) => {
    const task = await submit({ taskType: 'asleep', agentId });
    await parked(task.id);
    return task;
  };

  beforeAll(async () => {
    iso = await isolatedEnv('replay');
    t = await startApp({
      ...iso.env,
      AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1',
      TASK_BACKOFF_BASE_MS: '50',
      BULL_BOARD_USER: BOARD_USER,
      BULL_BOARD_PASSWORD: BOARD_PASSWORD,
    });
    alice = await registerUser(t);
    bob = await registerUser(t);
    agent = await TestAgent.start();
    await registerTestAgent(t, alice, agent, { capabilities: ['replay'] });
    sleeper = await TestAgent.start();
    sleeperId = (
      await registerTestAgent(t, alice, sleeper, { capabilities: ['asleep'], active: false })
    ).id;
    neverId = (
      await request(t.http)
        .post('/api/v1/agents')
        .set(bearer(alice.accessToken))
        .send({ name: 'never', capabilities: ['asleep'], endpointUrl: agent.url })
        .expect(201)
    ).body.id as string;
  });

  afterAll(async () => {
    await t?.close();
    await agent?.stop();
    await sleeper?.stop();
    await iso?.drop();
  });

  it('gives a failed task a fresh budget of maxAttempts, numbering its attempts on', async () => {
    const task = await submit({ parameters: { behaviour: 'always-down' }, maxAttempts: 2 });
    const failed = await status(task.id, 'failed');
    expect(failed).toMatchObject({ attempts: 2, errorMessage: expect.any(String) });

    const response = await retry(task.id).expect(200);
    expect(response.body).toMatchObject({
      id: task.id,
      status: 'pending',
      attempts: 2,
      maxAttempts: 2,
      result: null,
      errorMessage: null,
      completedAt: null,
      startedAt: failed.startedAt,
    });

    // Two more attempts, numbered 3 and 4, and not a fifth.
    const again = await status(task.id, 'failed');
    expect(again).toMatchObject({ attempts: 4, startedAt: failed.startedAt });
    expect(await attempts(task.id)).toEqual([
      expect.objectContaining({ number: 1, outcome: 'retryable_error' }),
      expect.objectContaining({ number: 2, outcome: 'retryable_error' }),
      expect.objectContaining({ number: 3, outcome: 'retryable_error' }),
      expect.objectContaining({ number: 4, outcome: 'retryable_error' }),
    ]);
    expect(agent.requestsFor(task.id).map((r) => r.body.attempt)).toEqual([1, 2, 3, 4]);

    const audit = await auditRows(task.id);
    expect(audit.map((row) => row.action)).toEqual([
      'task.create',
      'task.fail',
      'task.retry',
      'task.fail',
    ]);
    expect(audit[2]).toMatchObject({
      actor_id: alice.id,
      details: { ownerId: alice.id, previousStatus: 'failed', attemptsBefore: 2 },
    });
  });

  it('lets the retried run succeed on an attempt past the first run’s maxAttempts', async () => {
    const task = await submit({
      parameters: { behaviour: 'fail-transient-n', n: 3 },
      maxAttempts: 2,
    });
    await status(task.id, 'failed');
    await retry(task.id).expect(200);
    const completed = await status(task.id, 'completed');
    expect(completed).toMatchObject({ attempts: 4, errorMessage: null });
    expect(completed.result).toMatchObject({ attempt: 4 });
  });

  it('runs a cancelled task again', async () => {
    const task = await waitingTask(sleeperId);
    await cancel(task.id);
    const response = await retry(task.id).expect(200);
    expect(response.body).toMatchObject({ status: 'pending', attempts: 0, completedAt: null });
    const audit = await auditRows(task.id);
    expect(audit.map((row) => row.action)).toEqual(['task.create', 'task.cancel', 'task.retry']);
    expect(audit[2].details).toMatchObject({ previousStatus: 'cancelled' });

    // It waits for its agent again, and runs when the agent comes.
    await heartbeat(t, alice, sleeperId);
    await sleeper.waitForRequest(forTask(task.id));
    expect(await status(task.id, 'completed')).toMatchObject({ attempts: 1 });
  });

  it('never lets an attempt of the cancelled run answer for the retried one', async () => {
    const queue = t.app.get<Queue>(getQueueToken(QueueName.Tasks), { strict: false });
    const task = await submit({ parameters: { behaviour: 'hold' } });
    await agent.waitForRequest((r) => forTask(task.id)(r) && r.body.attempt === 1);
    await cancel(task.id);
    await retry(task.id).expect(200);
    await agent.waitForRequest((r) => forTask(task.id)(r) && r.body.attempt === 2);

    // The first run's attempt answers late, with success: its job ends, the task runs on.
    agent.release(task.id, 1);
    await waitFor(
      async () => {
        // Ended: kept as completed for Bull Board (or already removed), never active again.
        const job = await queue.getJob(task.id);
        return !job || (await job.isCompleted());
      },
      { what: "the first run's job to end" },
    );
    expect(await get(task.id)).toMatchObject({ status: 'in_progress', attempts: 2, result: null });

    agent.release(task.id, 2);
    const completed = await status(task.id, 'completed');
    expect(completed.result).toMatchObject({ attempt: 2 });
  });

  it('refuses a pending, running or completed task with 409', async () => {
    const pending = await waitingTask();
    const running = await submit({ parameters: { behaviour: 'hold' } });
    await agent.waitForRequest(forTask(running.id));
    const completed = await submit({});
    await status(completed.id, 'completed');
    try {
      for (const task of [pending, running, completed]) {
        const response = await retry(task.id);
        expectProblem(response, 409);
        expect(response.body.type).toBe('urn:ymera:problem:task-not-retryable');
      }
      expect((await get(running.id)).status).toBe('in_progress');
    } finally {
      agent.release(running.id);
      await cancel(pending.id);
    }
    await status(running.id, 'completed');
    expect((await auditRows(completed.id)).map((row) => row.action)).toEqual([
      'task.create',
      'task.complete',
    ]);
  });

  it("answers 404 for another user's task, and 400 for an id that is not one", async () => {
    const task = await submit({ parameters: { behaviour: 'fail-permanent' } });
    await status(task.id, 'failed');
    const response = await retry(task.id, bob.accessToken);
    expectProblem(response, 404);
    expect(response.body.type).toBe('urn:ymera:problem:task-not-found');
    expectProblem(await retry(randomUUID()), 404);
    expectProblem(await retry('not-a-uuid'), 400);
    expect((await get(task.id)).status).toBe('failed');

    // An admin may retry anyone's task; the record names the admin.
    const admin = await registerAdmin(t);
    await retry(task.id, admin.accessToken).expect(200);
    await status(task.id, 'failed');
    const audit = await auditRows(task.id);
    expect(audit.find((row) => row.action === 'task.retry')).toMatchObject({
      actor_id: admin.id,
      details: { ownerId: alice.id },
    });
  });

  it('takes an API key with tasks:write, and refuses one without it (403)', async () => {
    const key = async (scopes: string[]) =>
      (
        await request(t.http)
          .post('/api/v1/api-keys')
          .set(bearer(alice.accessToken))
          .send({ name: scopes.join(' '), scopes })
          .expect(201)
      ).body as { id: string; key: string };
    const task = await submit({ parameters: { behaviour: 'fail-permanent' } });
    await status(task.id, 'failed');

    const reader = await key(['tasks:read']);
    const refused = await retry(task.id, reader.key);
    expectProblem(refused, 403);
    expect(refused.body.type).toBe('urn:ymera:problem:scope-required');

    const writer = await key(['tasks:write']);
    await retry(task.id, writer.key).expect(200);
    const audit = await auditRows(task.id);
    expect(audit.find((row) => row.action === 'task.retry')).toMatchObject({
      actor_id: alice.id,
      details: { via: 'api_key', keyId: writer.id },
    });
  });

  it("is off in Bull Board: its retry actions answer 403 and leave the task's failed job alone", async () => {
    const task = await submit({ parameters: { behaviour: 'fail-permanent' } });
    await status(task.id, 'failed');
    const queue = t.app.get<Queue>(getQueueToken(QueueName.Tasks), { strict: false });
    const job = await waitFor(async () => (await queue.getJob(task.id)) ?? undefined, {
      what: 'the failed job',
    });
    expect(await job.getState()).toBe('failed');

    const board = await request(t.http)
      .get('/admin/queues/api/queues')
      .auth(BOARD_USER, BOARD_PASSWORD)
      .expect(200);
    expect(
      (board.body as { queues: { name: string; allowRetries: boolean }[] }).queues.find(
        (q) => q.name === 'tasks',
      ),
    ).toMatchObject({ allowRetries: false });

    for (const path of [
      `/admin/queues/api/queues/tasks/${task.id}/retry`,
      '/admin/queues/api/queues/tasks/retry/failed',
      '/admin/queues/api/queues/tasks/retry/completed',
    ]) {
      const response = await request(t.http).put(path).auth(BOARD_USER, BOARD_PASSWORD);
      expectProblem(response, 403);
      expect(response.body.type).toBe('urn:ymera:problem:board-retry-disabled');
    }
    expect(await (await queue.getJob(task.id))!.getState()).toBe('failed');
    expect(await get(task.id)).toMatchObject({ status: 'failed', attempts: 1 });
    expect(agent.requestsFor(task.id)).toHaveLength(1);
  });
});
