import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  AgentTaskError,
  createAgentHandler,
  createYmeraClient,
  login,
  unwrap,
  YmeraClient,
  YmeraError,
} from '../sdk';
import { startApp, TestApp, uniqueIp, uniqueName } from './support/app';
import { isolatedEnv, IsolatedEnv } from './support/isolated-database';
import { TestAgent } from './support/test-agent';

/**
 * openapi.json as a client author uses it: the repository's TypeScript library (sdk/), typed by
 * sdk/generated/openapi.ts (generated from openapi.json, checked in), driving the real app over
 * HTTP, with agents that verify and answer through the same library. A route, field or status the
 * document describes wrongly fails here, at compile time (npm run typecheck) or at run time.
 */
const ROOT = join(__dirname, '..');
const PASSWORD = 'correct horse battery staple';

describe('TypeScript client (sdk/)', () => {
  let iso: IsolatedEnv;
  let t: TestApp;
  let agent: TestAgent;
  let baseUrl: string;

  /** A new user, registered through the client, logged in and with a client of its own. */
  async function signUp(): Promise<{ ymera: YmeraClient; userId: string; username: string }> {
    // A client address of its own: the auth rate limit is per address.
    const headers = { 'X-Forwarded-For': uniqueIp() };
    const username = uniqueName('client');
    const registered = await createYmeraClient({ baseUrl, headers }).POST('/api/v1/auth/register', {
      body: { username, email: `${username}@example.com`, password: PASSWORD },
    });
    expect(registered.response.status).toBe(201);
    const session = await login(baseUrl, username, PASSWORD, { headers });
    expect(session).toMatchObject({ tokenType: 'Bearer', user: { username, role: 'user' } });
    const ymera = createYmeraClient({ baseUrl, token: session.accessToken, headers });
    return { ymera, userId: session.user.id, username };
  }

  /** Registers an agent at `url` through the client and makes it active. */
  async function activeAgent(ymera: YmeraClient, url: string, capability: string) {
    const created = unwrap(
      await ymera.POST('/api/v1/agents', {
        body: { name: `client-agent-${capability}`, capabilities: [capability], endpointUrl: url },
      }),
    );
    unwrap(
      await ymera.POST('/api/v1/agents/{id}/heartbeat', {
        params: { path: { id: created.id } },
        body: { status: 'active' },
      }),
    );
    return created;
  }

  beforeAll(async () => {
    // Its own database and queue: other spec files' workers have other allow-lists.
    iso = await isolatedEnv('openapi_client');
    t = await startApp({ ...iso.env, AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1' });
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
    agent = await TestAgent.start();
  });

  afterAll(async () => {
    await t?.close();
    await agent?.stop();
    await iso?.drop();
  });

  it('has the types openapi.json generates checked in (npm run openapi:types)', () => {
    const check = spawnSync('npm', ['run', '--silent', 'openapi:types', '--', '--check'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (check.error) throw check.error;
    expect({ status: check.status, stderr: check.stderr }).toMatchObject({ status: 0 });
  }, 60_000);

  it('logs in, submits a task and awaits its result', async () => {
    const { ymera, userId } = await signUp();
    const me = unwrap(await ymera.GET('/api/v1/users/me'));
    expect(me.id).toBe(userId);

    const registered = await activeAgent(ymera, agent.url, 'summarise');
    agent.secret = registered.signingSecret;

    const idempotencyKey = randomUUID();
    const body = {
      name: 'Summarise the report',
      taskType: 'summarise',
      parameters: { text: 'Q3 was good' },
      priority: 'high' as const,
    };
    const task = await ymera.submitTask(body, { idempotencyKey });
    expect(task).toMatchObject({ status: 'pending', priority: 'high', maxAttempts: 3 });
    expect((await ymera.submitTask(body, { idempotencyKey })).id).toBe(task.id);

    const done = await ymera.waitForTask(task.id, { intervalMs: 50, timeoutMs: 20_000 });
    expect(done).toMatchObject({
      status: 'completed',
      agentId: registered.id,
      attempts: 1,
      errorMessage: null,
    });
    expect(done.result).toEqual({
      echo: { text: 'Q3 was good' },
      attempt: 1,
      agent: expect.any(Number),
    });
    expect(agent.requestsFor(task.id).map((request) => request.signatureValid)).toEqual([true]);

    const attempts = unwrap(
      await ymera.GET('/api/v1/tasks/{id}/attempts', { params: { path: { id: task.id } } }),
    );
    expect(attempts.items).toEqual([
      expect.objectContaining({ number: 1, outcome: 'succeeded', httpStatus: 200 }),
    ]);
  });

  describe('with an agent written with createAgentHandler', () => {
    let server: Server;
    let url: string;
    const seen: { taskId: string; attempt: number }[] = [];

    /** The agent answers once it has the signing secret its registration returned. */
    function serve(signingSecret: string) {
      server.on(
        'request',
        createAgentHandler({
          signingSecret,
          onTask: ({ taskId, attempt, parameters }) => {
            seen.push({ taskId, attempt });
            if (parameters.language === 'klingon') {
              throw new AgentTaskError('klingon is not supported', { retryable: false });
            }
            if (parameters.busy && attempt === 1) {
              throw new AgentTaskError('the model is overloaded', { retryable: true });
            }
            return { words: String(parameters.text).split(' ').length };
          },
        }),
      );
    }

    beforeAll(async () => {
      server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tasks`;
    });

    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it('completes, retries and fails tasks as its answers say', async () => {
      const { ymera } = await signUp();
      serve((await activeAgent(ymera, url, 'count-words')).signingSecret);
      const submit = (parameters: Record<string, unknown>) =>
        ymera.submitTask({ name: 'Count', taskType: 'count-words', parameters });

      const counted = await submit({ text: 'one two three' });
      const retried = await submit({ text: 'one two', busy: true });
      const refused = await submit({ text: 'nuqneH', language: 'klingon' });
      const wait = (id: string) => ymera.waitForTask(id, { intervalMs: 50, timeoutMs: 20_000 });

      expect(await wait(counted.id)).toMatchObject({ status: 'completed', result: { words: 3 } });
      expect(await wait(retried.id)).toMatchObject({
        status: 'completed',
        attempts: 2,
        result: { words: 2 },
      });
      expect(await wait(refused.id)).toMatchObject({ status: 'failed', attempts: 1 });
      const attempts = (id: string) =>
        ymera
          .GET('/api/v1/tasks/{id}/attempts', { params: { path: { id } } })
          .then((answer) => unwrap(answer).items);
      expect(await attempts(retried.id)).toEqual([
        expect.objectContaining({ outcome: 'retryable_error', httpStatus: 503 }),
        expect.objectContaining({ outcome: 'succeeded', httpStatus: 200 }),
      ]);
      expect(await attempts(refused.id)).toEqual([
        expect.objectContaining({ outcome: 'permanent_error', httpStatus: 422 }),
      ]);
      expect(seen.filter(({ taskId }) => taskId === retried.id)).toEqual([
        { taskId: retried.id, attempt: 1 },
        { taskId: retried.id, attempt: 2 },
      ]);
    });
  });

  it('throws a YmeraError carrying the problem details of a refused call', async () => {
    const { ymera, username } = await signUp();
    const missing = randomUUID();
    const notFound = await ymera.getTask(missing).catch((error: unknown) => error);
    expect(notFound).toBeInstanceOf(YmeraError);
    expect(notFound).toMatchObject({
      status: 404,
      type: 'urn:ymera:problem:task-not-found',
      code: 'task-not-found',
      title: 'Task not found',
      requestId: expect.any(String),
      problem: { instance: `/api/v1/tasks/${missing}` },
    });

    const invalid = await ymera
      .submitTask({ name: '', taskType: 'x' })
      .catch((error: unknown) => error);
    expect(invalid).toMatchObject({
      status: 400,
      code: 'validation-error',
      problem: { errors: [expect.objectContaining({ field: 'name' })] },
    });

    const refused = await login(baseUrl, username, 'not the password', {
      headers: { 'X-Forwarded-For': uniqueIp() },
    }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ status: 401, code: 'invalid-credentials' });
  });
});
