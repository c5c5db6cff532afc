import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import request from 'supertest';
import { QueueName } from '../src/queue/tasks.queue';
import { startApp, TestApp } from './support/app';
import { registerUser, RegisteredUser } from './support/factories';
import { isolatedEnv, IsolatedEnv } from './support/isolated-database';
import { expectProblem } from './support/problem-details';
import { taskReads, TaskView } from './support/tasks';
import { forTask, registerTestAgent, TestAgent, waitFor } from './support/test-agent';

/**
 * runAt on create (README, "Task lifecycle"): the task stays pending and is not dispatched before
 * then, whatever happens to its queue job; and the order in which a backlog for a busy agent is
 * dispatched. The reconciler passes every 300 ms here: its wake-ups of every agent with waiting
 * tasks race with the ones a freed slot makes.
 */
describe('scheduled tasks and priority under backlog', () => {
  let iso: IsolatedEnv;
  let t: TestApp;
  let alice: RegisteredUser;
  let agent: TestAgent;
  let queue: Queue;

  const bearer = () => ({ Authorization: `Bearer ${alice.accessToken}` });
  const create = (body: Record<string, unknown>) =>
    request(t.http)
      .post('/api/v1/tasks')
      .set(bearer())
      .send({ name: 'scheduled', taskType: 'later', ...body });
  const submit = async (body: Record<string, unknown>) =>
    (await create(body).expect(201)).body as TaskView;
  const { status } = taskReads(
    () => t,
    () => alice,
  );
  const jobState = async (jobId: string) => (await queue.getJob(jobId))?.getState();
  const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

  beforeAll(async () => {
    iso = await isolatedEnv('schedule');
    t = await startApp({
      ...iso.env,
      AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1',
      TASK_RECONCILE_INTERVAL_MS: '300',
    });
    queue = t.app.get<Queue>(getQueueToken(QueueName.Tasks), { strict: false });
    alice = await registerUser(t);
    agent = await TestAgent.start();
    await registerTestAgent(t, alice, agent, { capabilities: ['later'] });
  });

  afterAll(async () => {
    await t?.close();
    await agent?.stop();
    await iso?.drop();
  });

  it('keeps a task with runAt pending, as a delayed job, and dispatches it no earlier', async () => {
    const runAt = inMs(1500);
    const task = await submit({ runAt });
    expect(task).toMatchObject({ status: 'pending', runAt });
    expect(await jobState(task.id)).toBe('delayed');
    const list = (await request(t.http).get('/api/v1/tasks').set(bearer()).expect(200)).body as {
      items: TaskView[];
    };
    expect(list.items.find((item) => item.id === task.id)?.runAt).toBe(runAt);

    const sent = await agent.waitForRequest(forTask(task.id));
    expect(sent.at).toBeGreaterThanOrEqual(Date.parse(runAt));
    expect(await status(task.id, 'completed')).toMatchObject({ attempts: 1, runAt });
  });

  it('is dispatched at once with runAt in the past, and runAt is null when not given', async () => {
    const past = await submit({ runAt: '2020-01-01T00:00:00Z' });
    expect(past.runAt).toBe('2020-01-01T00:00:00.000Z');
    await status(past.id, 'completed');
    expect((await submit({})).runAt).toBeNull();
  });

  it('is re-queued by the reconciler with what is left of its delay when its job is lost', async () => {
    const runAt = inMs(3000);
    const task = await submit({ runAt });
    await (await queue.getJob(task.id))!.remove();
    // The reconciler's pass puts it back, delayed still: not dispatched early.
    await waitFor(async () => (await jobState(task.id)) === 'delayed', {
      what: 'the reconciler to queue the task again',
    });
    const requeuedAt = Date.now();
    expect(requeuedAt).toBeLessThan(Date.parse(runAt));
    expect(agent.requestsFor(task.id)).toEqual([]);
    const sent = await agent.waitForRequest(forTask(task.id));
    expect(sent.at).toBeGreaterThanOrEqual(Date.parse(runAt));
    await status(task.id, 'completed');
  });

  it('counts scheduleTimeoutMs from runAt, not from creation', async () => {
    const { id } = await registerTestAgent(t, alice, agent, {
      capabilities: ['never-up'],
      active: false,
    });
    const runAt = inMs(1500);
    const task = await submit({
      taskType: 'never-up',
      agentId: id,
      runAt,
      scheduleTimeoutMs: 1000,
    });
    const failed = await status(task.id, 'failed');
    expect(failed.errorMessage).toBe(`agent ${id} did not become available within 1000 ms`);
    expect(Date.parse(failed.completedAt!)).toBeGreaterThanOrEqual(Date.parse(runAt) + 1000);
  });

  it.each([
    ['not a time', 'tomorrow'],
    ['a date without a time', '2030-01-01'],
    ['a time without a zone', '2030-01-01T10:00:00'],
    ['a day that does not exist', '2030-02-30T10:00:00Z'],
    ['more than 366 days ahead', new Date(Date.now() + 367 * 24 * 3_600_000).toISOString()],
    ['a number', 1_900_000_000_000],
  ])('refuses runAt that is %s (400)', async (_, runAt) => {
    const response = await create({ runAt });
    expectProblem(response, 400);
    expect(response.body.errors).toEqual([
      { field: 'runAt', message: expect.stringContaining('runAt must be an ISO-8601 time') },
    ]);
  });

  it('dispatches a backlog for a busy agent with one slot by priority, then oldest first', async () => {
    await registerTestAgent(t, alice, agent, {
      capabilities: ['backlog'],
      maxConcurrency: 1,
    });
    const blocker = await submit({ taskType: 'backlog', parameters: { behaviour: 'hold' } });
    await agent.waitForRequest(forTask(blocker.id));

    // Queued while the agent is active but busy: each waits for its one slot.
    const priorities = ['low', 'normal', 'critical', 'high', 'critical', 'normal', 'low', 'high'];
    const tasks: TaskView[] = [];
    for (const priority of priorities) {
      tasks.push(await submit({ taskType: 'backlog', priority }));
    }
    for (const task of tasks) {
      await waitFor(
        async () => {
          const [row] = await t.dataSource.query<{ waiting_since: Date | null }[]>(
            'SELECT waiting_since FROM tasks WHERE id = $1',
            [task.id],
          );
          return row.waiting_since !== null;
        },
        { what: `task ${task.id} to wait for the slot` },
      );
    }

    agent.release(blocker.id);
    for (const task of tasks) await status(task.id, 'completed');
    const order = agent.requests
      .filter((r) => r.body?.taskType === 'backlog' && r.body.taskId !== blocker.id)
      .map((r) => tasks.findIndex((task) => task.id === r.body.taskId));
    // critical (oldest first), high, normal, low.
    expect(order).toEqual([2, 4, 3, 7, 1, 5, 0, 6]);
  });
});
