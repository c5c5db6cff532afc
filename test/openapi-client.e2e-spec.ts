import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import createClient, { Client, Middleware } from 'openapi-fetch';
import type { components, paths } from './support/generated/openapi';
import { startApp, TestApp, uniqueIp, uniqueName } from './support/app';
import { isolatedEnv, IsolatedEnv } from './support/isolated-database';
import { TestAgent, waitFor } from './support/test-agent';

/**
 * openapi.json as a client author uses it: TypeScript types generated from it with
 * openapi-typescript (`npm run openapi:types`, into test/support/generated/, not checked in), this
 * file compiled against them, then a typed openapi-fetch client driving the real app over HTTP.
 * A route, field or status the document describes wrongly fails here, at compile time or at run time.
 */
const ROOT = join(__dirname, '..');
const GENERATED = join(__dirname, 'support', 'generated');

type Task = components['schemas']['TaskDto'];

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8' });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Bearer authentication for every request after login, as a client application would add it. */
function bearer(token: string): Middleware {
  return {
    onRequest({ request }) {
      request.headers.set('Authorization', `Bearer ${token}`);
      return request;
    },
  };
}

describe('OpenAPI client', () => {
  let iso: IsolatedEnv;
  let t: TestApp;
  let agent: TestAgent;
  let baseUrl: string;

  /** A typed client from a client address of its own (the auth rate limit is per address). */
  function client(): Client<paths> {
    return createClient<paths>({ baseUrl, headers: { 'X-Forwarded-For': uniqueIp() } });
  }

  /** Registers a fresh user through the client and authenticates its later calls. */
  async function signUp(api: Client<paths>) {
    const username = uniqueName('client');
    const registered = await api.POST('/api/v1/auth/register', {
      body: {
        username,
        email: `${username}@example.com`,
        password: 'correct horse battery staple',
      },
    });
    expect(registered.response.status).toBe(201);
    const session = registered.data!;
    expect(session).toMatchObject({ tokenType: 'Bearer', user: { username, role: 'user' } });
    api.use(bearer(session.accessToken));
    return session;
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

  it('generates TypeScript types from openapi.json and this client compiles against them', () => {
    const generate = run('npm', ['run', '--silent', 'openapi:types']);
    expect({ status: generate.status, output: generate.output }).toMatchObject({ status: 0 });
    // Only this file and what it imports, with the project's compiler options.
    const tsconfig = join(GENERATED, 'tsconfig.client-check.json');
    writeFileSync(
      tsconfig,
      JSON.stringify({
        extends: join(ROOT, 'tsconfig.json'),
        compilerOptions: { noEmit: true, incremental: false },
        include: [],
        files: [__filename],
      }),
    );
    const check = run(process.execPath, [
      join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      tsconfig,
    ]);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
  }, 120_000);

  it('registers, creates an agent, submits a task and reads its result through the client', async () => {
    const api = client();
    const session = await signUp(api);

    const me = await api.GET('/api/v1/users/me');
    expect(me.data?.id).toBe(session.user.id);

    const created = await api.POST('/api/v1/agents', {
      body: { name: 'client-agent', capabilities: ['summarise'], endpointUrl: agent.url },
    });
    expect(created.response.status).toBe(201);
    const agentId = created.data!.id;
    agent.secret = created.data!.signingSecret;
    expect(created.data).toMatchObject({ ownerId: session.user.id, status: 'inactive' });

    const beat = await api.POST('/api/v1/agents/{id}/heartbeat', {
      params: { path: { id: agentId } },
      body: { status: 'active' },
    });
    expect(beat.data).toMatchObject({ id: agentId, status: 'active' });

    const submitted = await api.POST('/api/v1/tasks', {
      params: { header: { 'Idempotency-Key': randomUUID() } },
      body: {
        name: 'Summarise the report',
        taskType: 'summarise',
        parameters: { text: 'Q3 was good' },
        priority: 'high',
      },
    });
    expect(submitted.response.status).toBe(201);
    const taskId = submitted.data!.id;
    expect(submitted.data).toMatchObject({ status: 'pending', priority: 'high', maxAttempts: 3 });

    const done: Task = await waitFor(
      async () => {
        const { data } = await api.GET('/api/v1/tasks/{id}', {
          params: { path: { id: taskId } },
        });
        return data && ['completed', 'failed', 'cancelled'].includes(data.status)
          ? data
          : undefined;
      },
      { what: `task ${taskId} to finish` },
    );
    expect(done).toMatchObject({ status: 'completed', agentId, attempts: 1, errorMessage: null });
    expect(done.result).toEqual({
      echo: { text: 'Q3 was good' },
      attempt: 1,
      agent: expect.any(Number),
    });
    expect(agent.requestsFor(taskId).map((request) => request.signatureValid)).toEqual([true]);

    const attempts = await api.GET('/api/v1/tasks/{id}/attempts', {
      params: { path: { id: taskId } },
    });
    expect(attempts.data?.items).toEqual([
      expect.objectContaining({ number: 1, agentId, outcome: 'succeeded', httpStatus: 200 }),
    ]);
  });

  it('gets the documented problem details as the typed error of a failed call', async () => {
    const api = client();
    await signUp(api);
    const missing = randomUUID();
    const { data, error, response } = await api.GET('/api/v1/tasks/{id}', {
      params: { path: { id: missing } },
    });
    expect(data).toBeUndefined();
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(error).toMatchObject({ status: 404, instance: `/api/v1/tasks/${missing}` });
  });
});
