import { randomUUID } from 'node:crypto';
import { createYmeraClient, Task, TaskWaitTimeoutError, YmeraError } from './client';

/** A stand-in for Ymera that answers each request with `answer(request)` and keeps the requests. */
function fakeYmera(answer: (request: Request) => Response) {
  const requests: Request[] = [];
  const fetch = (request: Request) => {
    requests.push(request);
    return Promise.resolve(answer(request));
  };
  return { requests, fetch };
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function task(status: Task['status']): Task {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    ownerId: randomUUID(),
    agentId: null,
    name: 'n',
    description: null,
    taskType: 't',
    parameters: {},
    priority: 'normal',
    status,
    result: null,
    errorMessage: null,
    attempts: 0,
    maxAttempts: 3,
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    completedAt: null,
    runAt: null,
  };
}

const baseUrl = 'http://ymera.test';

describe('createYmeraClient', () => {
  it('sends the token as a bearer, asking a token function before each request', async () => {
    const ymera = fakeYmera(() => json(task('pending')));
    let issued = 0;
    const client = createYmeraClient({
      baseUrl,
      token: () => `token-${++issued}`,
      fetch: ymera.fetch,
    });
    await client.getTask('a');
    await client.getTask('b');
    expect(ymera.requests.map((r) => r.headers.get('authorization'))).toEqual([
      'Bearer token-1',
      'Bearer token-2',
    ]);
    expect(ymera.requests[1].url).toBe(`${baseUrl}/api/v1/tasks/b`);
  });

  it('submits a task with its Idempotency-Key', async () => {
    const ymera = fakeYmera(() => json(task('pending'), 201));
    const client = createYmeraClient({ baseUrl, token: 't', fetch: ymera.fetch });
    await client.submitTask({ name: 'n', taskType: 't' }, { idempotencyKey: 'key-1' });
    await client.submitTask({ name: 'n', taskType: 't' });
    expect(ymera.requests.map((r) => r.headers.get('idempotency-key'))).toEqual(['key-1', null]);
    expect(await ymera.requests[0].json()).toEqual({ name: 'n', taskType: 't' });
  });

  describe('waitForTask', () => {
    it('looks at the task until its status is terminal', async () => {
      const statuses: Task['status'][] = ['pending', 'in_progress', 'in_progress', 'failed'];
      const ymera = fakeYmera(() => json(task(statuses.shift()!)));
      const client = createYmeraClient({ baseUrl, fetch: ymera.fetch });
      const done = await client.waitForTask('id', { intervalMs: 1 });
      expect(done.status).toBe('failed');
      expect(ymera.requests).toHaveLength(4);
    });

    it('gives up after timeoutMs with the task as last seen', async () => {
      const ymera = fakeYmera(() => json(task('pending')));
      const client = createYmeraClient({ baseUrl, fetch: ymera.fetch });
      const error = await client.waitForTask('id', { timeoutMs: 0 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskWaitTimeoutError);
      expect(error).toMatchObject({ taskId: 'id', task: { status: 'pending' } });
    });

    it('ends when its signal aborts, with the signal reason', async () => {
      const controller = new AbortController();
      const reason = new Error('the user gave up');
      const ymera = fakeYmera(() => {
        queueMicrotask(() => controller.abort(reason));
        return json(task('in_progress'));
      });
      const client = createYmeraClient({ baseUrl, fetch: ymera.fetch });
      await expect(
        client.waitForTask('id', { intervalMs: 3_600_000, signal: controller.signal }),
      ).rejects.toBe(reason);
    });
  });

  describe('a refused call', () => {
    it('is a YmeraError with the problem details', async () => {
      const problem = {
        type: 'urn:ymera:problem:task-not-found',
        title: 'Task not found',
        status: 404,
        detail: 'Task not found.',
        instance: '/api/v1/tasks/x',
        requestId: 'req-1',
      };
      const ymera = fakeYmera(
        () =>
          new Response(JSON.stringify(problem), {
            status: 404,
            headers: { 'content-type': 'application/problem+json' },
          }),
      );
      const error = await createYmeraClient({ baseUrl, fetch: ymera.fetch })
        .getTask('x')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(YmeraError);
      expect(error).toMatchObject({ ...problem, code: 'task-not-found', problem });
      expect((error as Error).message).toBe('404 Task not found: Task not found.');
    });

    it('is a YmeraError of type about:blank when the answer is not problem details', async () => {
      const ymera = fakeYmera(
        () => new Response('upstream unavailable', { status: 502, statusText: 'Bad Gateway' }),
      );
      const error = await createYmeraClient({ baseUrl, fetch: ymera.fetch })
        .getTask('x')
        .catch((e: unknown) => e);
      expect(error).toMatchObject({
        status: 502,
        type: 'about:blank',
        code: null,
        title: 'Bad Gateway',
        detail: 'upstream unavailable',
        instance: null,
        requestId: null,
        problem: null,
      });
    });
  });
});
