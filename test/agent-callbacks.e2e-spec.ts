import { AddressInfo } from 'node:net';
import request from 'supertest';
import { startApp, TestApp } from './support/app';
import { registerUser, RegisteredUser } from './support/factories';
import { isolatedEnv, IsolatedEnv } from './support/isolated-database';
import { expectProblem } from './support/problem-details';
import { taskReads, TaskView } from './support/tasks';
import { forTask, registerTestAgent, TestAgent } from './support/test-agent';

const bearer = { type: 'bearer' as const };

/**
 * Long work (docs/agent-protocol.md): an http agent answers a dispatch 202 and reports its
 * progress and result through the agent API with its agent token; the worker keeps the attempt
 * running until then, or until the attempt's timeout. The real application on real PostgreSQL and
 * Redis, the agent on 127.0.0.1.
 */
describe('agent callbacks (202 and the agent API)', () => {
  let iso: IsolatedEnv;
  let t: TestApp;
  let alice: RegisteredUser;
  let agent: TestAgent;
  let other: TestAgent;

  async function submit(body: Record<string, unknown>): Promise<TaskView> {
    const response = await request(t.http)
      .post('/api/v1/tasks')
      .auth(alice.accessToken, bearer)
      .send({ name: 'long work', taskType: 'long', ...body })
      .expect(201);
    return response.body as TaskView;
  }

  const {
    get: getTask,
    finished,
    attempts: attemptsOf,
  } = taskReads(
    () => t,
    () => alice,
  );

  function report(as: TestAgent, taskId: string, kind: 'result' | 'progress', body: object) {
    return request(t.http)
      .post(`/api/v1/agent/tasks/${taskId}/${kind}`)
      .auth(as.agentToken, bearer)
      .send(body);
  }

  /** Once the agent has answered the task's dispatch 202. */
  async function accepted(taskId: string): Promise<void> {
    const dispatch = await agent.waitForRequest(forTask(taskId));
    expect(dispatch.answeredStatus).toBe(202);
  }

  function expectNotRunning(response: request.Response): void {
    expectProblem(response, 409);
    expect(response.body.type).toBe('urn:ymera:problem:attempt-not-running');
  }

  beforeAll(async () => {
    iso = await isolatedEnv('callbacks');
    t = await startApp({
      ...iso.env,
      AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1',
      TASK_BACKOFF_BASE_MS: '100',
    });
    // The agents post to the agent API over real HTTP.
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    alice = await registerUser(t);
    agent = await TestAgent.start();
    agent.apiBaseUrl = `http://127.0.0.1:${port}`;
    await registerTestAgent(t, alice, agent, { capabilities: ['long'], maxConcurrency: 20 });
    // Another agent of the same owner, for tasks that never ran on it.
    other = await TestAgent.start();
    other.apiBaseUrl = agent.apiBaseUrl;
    await registerTestAgent(t, alice, other, { capabilities: ['elsewhere'] });
  });

  afterAll(async () => {
    await t?.close();
    await agent?.stop();
    await other?.stop();
    await iso?.drop();
  });

  it('completes a task accepted with 202 with the result the agent posts, and keeps its progress', async () => {
    const task = await submit({ parameters: { behaviour: 'accept-result', progress: true } });
    const done = await finished(task.id);
    expect(done).toMatchObject({
      status: 'completed',
      attempts: 1,
      result: { echo: { behaviour: 'accept-result', progress: true }, attempt: 1 },
    });
    const dispatch = agent.requestsFor(task.id)[0];
    expect(dispatch).toMatchObject({ answeredStatus: 202, signatureValid: true });
    expect(agent.reports.filter((r) => r.taskId === task.id)).toEqual([
      expect.objectContaining({ kind: 'progress', answer: 'accepted' }),
      expect.objectContaining({ kind: 'result', answer: 'completed' }),
    ]);
    expect(await attemptsOf(task.id)).toEqual([
      expect.objectContaining({ number: 1, outcome: 'succeeded', httpStatus: null, error: null }),
    ]);
    const [attempt] = await t.dataSource.query<{ progress: Record<string, unknown> }[]>(
      'SELECT progress FROM task_attempts WHERE task_id = $1',
      [task.id],
    );
    expect(attempt.progress).toMatchObject({
      message: 'half way',
      percent: 50,
      data: { step: 1 },
      at: expect.any(String),
    });
    // Recorded as a synchronous reply's completion would be.
    const audit = await t.dataSource.query<{ action: string }[]>(
      `SELECT action FROM audit_logs WHERE resource_id = $1 ORDER BY timestamp, id`,
      [task.id],
    );
    expect(audit.map((row) => row.action)).toEqual(['task.create', 'task.complete']);
  });

  it('retries a task whose agent posts a retryable error, then completes it', async () => {
    const task = await submit({
      parameters: { behaviour: 'accept-error', n: 1, detail: 'model overloaded' },
    });
    const done = await finished(task.id);
    expect(done).toMatchObject({ status: 'completed', attempts: 2 });
    expect(await attemptsOf(task.id)).toEqual([
      expect.objectContaining({
        number: 1,
        outcome: 'retryable_error',
        error: 'the agent reported: model overloaded',
      }),
      expect.objectContaining({ number: 2, outcome: 'succeeded' }),
    ]);
    expect(agent.reports.filter((r) => r.taskId === task.id)).toEqual([
      expect.objectContaining({ attempt: 1, kind: 'error', answer: 'pending' }),
      expect.objectContaining({ attempt: 2, kind: 'result', answer: 'completed' }),
    ]);
  });

  it('fails a task at once when its agent posts a permanent error', async () => {
    const task = await submit({
      parameters: { behaviour: 'accept-error', retryable: false, detail: 'not a PDF' },
    });
    const done = await finished(task.id);
    expect(done).toMatchObject({
      status: 'failed',
      attempts: 1,
      errorMessage: 'the agent reported: not a PDF',
    });
    expect(agent.reports.find((r) => r.taskId === task.id)).toMatchObject({ answer: 'failed' });
  });

  it('retries an accepted attempt whose agent never reports, at its timeout, and refuses the late result', async () => {
    const task = await submit({
      parameters: { behaviour: 'accept-silent' },
      timeoutMs: 1000,
      maxAttempts: 2,
    });
    const done = await finished(task.id);
    expect(done.status).toBe('failed');
    const attempts = await attemptsOf(task.id);
    expect(attempts.map((a) => a.outcome)).toEqual(['retryable_error', 'retryable_error']);
    expect(attempts[0].error).toBe(
      'the agent accepted the task (202) but posted no result within 1000 ms',
    );
    expect(agent.requestsFor(task.id).map((r) => r.answeredStatus)).toEqual([202, 202]);

    expectNotRunning(await report(agent, task.id, 'result', { attempt: 1, result: 'late' }));
    expectNotRunning(await report(agent, task.id, 'progress', { attempt: 2, percent: 99 }));
    expect((await getTask(task.id)).status).toBe('failed');
  });

  it('takes progress for the running attempt only, and 404 from an agent the task never ran on', async () => {
    const task = await submit({ parameters: { behaviour: 'accept-silent' }, timeoutMs: 20_000 });
    await accepted(task.id);
    await report(agent, task.id, 'progress', { attempt: 1, percent: 10 }).expect(202);
    expectNotRunning(await report(agent, task.id, 'progress', { attempt: 2, percent: 10 }));
    expectNotRunning(await report(agent, task.id, 'result', { attempt: 2, result: 1 }));

    for (const kind of ['progress', 'result'] as const) {
      const body = kind === 'progress' ? { attempt: 1 } : { attempt: 1, result: 1 };
      const response = await report(other, task.id, kind, body);
      expectProblem(response, 404);
      expect(response.body.type).toBe('urn:ymera:problem:task-not-found');
    }
    // A user's token is not an agent token.
    await request(t.http)
      .post(`/api/v1/agent/tasks/${task.id}/progress`)
      .auth(alice.accessToken, bearer)
      .send({ attempt: 1 })
      .expect(401);

    await report(agent, task.id, 'result', { attempt: 1, result: { ok: true } })
      .expect(200)
      .expect({ status: 'completed' });
    // Finished: nothing more is taken.
    expectNotRunning(await report(agent, task.id, 'result', { attempt: 1, result: 'again' }));
    expect(await getTask(task.id)).toMatchObject({ status: 'completed', result: { ok: true } });
  });

  it('validates reports: exactly one of result and error, bounded progress', async () => {
    const task = await submit({ parameters: { behaviour: 'accept-silent' }, timeoutMs: 20_000 });
    await accepted(task.id);
    for (const body of [
      { attempt: 1 },
      { attempt: 1, result: 1, error: { message: 'x', retryable: true } },
      { attempt: 1, error: { message: 'x' } },
      { attempt: 0, result: 1 },
      { attempt: 1, result: 1, extra: true },
    ]) {
      expectProblem(await report(agent, task.id, 'result', body), 400);
    }
    for (const body of [
      { attempt: 1, percent: 101 },
      { attempt: 1, data: { blob: 'x'.repeat(17 * 1024) } },
      { attempt: 1, data: [1] },
    ]) {
      expectProblem(await report(agent, task.id, 'progress', body), 400);
    }
    // A null result is a result.
    await report(agent, task.id, 'result', { attempt: 1, result: null })
      .expect(200)
      .expect({ status: 'completed' });
  });

  it('takes the first of two concurrent answers and refuses the other', async () => {
    const task = await submit({ parameters: { behaviour: 'accept-silent' }, timeoutMs: 20_000 });
    await accepted(task.id);
    const answers = await Promise.all([
      report(agent, task.id, 'result', { attempt: 1, result: 'first' }),
      report(agent, task.id, 'result', {
        attempt: 1,
        error: { message: 'second', retryable: false },
      }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const winner = answers.find((a) => a.status === 200)!;
    const done = await finished(task.id);
    expect(done.status).toBe(winner.body.status);
    expect(await attemptsOf(task.id)).toHaveLength(1);
  });

  it('sends task.cancel to an agent working on an accepted task when it is cancelled', async () => {
    const task = await submit({ parameters: { behaviour: 'accept-silent' }, timeoutMs: 20_000 });
    await accepted(task.id);
    await request(t.http)
      .post(`/api/v1/tasks/${task.id}/cancel`)
      .auth(alice.accessToken, bearer)
      .expect(200);
    const cancel = await agent.waitForCancel(forTask(task.id));
    expect(cancel.signatureValid).toBe(true);
    expect(JSON.parse(cancel.raw)).toEqual({ taskId: task.id, attempt: 1 });
    expect(await attemptsOf(task.id)).toEqual([
      expect.objectContaining({ outcome: 'cancelled', error: 'cancelled by its owner' }),
    ]);
    expectNotRunning(await report(agent, task.id, 'result', { attempt: 1, result: 'late' }));
    expect(await getTask(task.id)).toMatchObject({ status: 'cancelled', result: null });
  });
});
