import request from 'supertest';
import { startApp, TestApp, uniqueIp } from './support/app';
import { isolatedEnv, IsolatedEnv } from './support/isolated-database';

/**
 * Swagger UI's "Try it out" fills the request body with the operation's example: sent as it is,
 * each example of openapi.json must succeed. They are sent as a newcomer would try them (register,
 * log in, then the rest with that account's token), path ids filled with what the examples
 * themselves created (the agent of POST /agents for /agents/{id}, and so on); the agent's own
 * operations (security agentToken) go last, with the agentToken of POST /agents (its reports on a
 * task, on one running on that agent, put in that state as a worker would). The app has a
 * database of its own (the register example's username is fixed, so it registers once per
 * database) and runs no worker (APP_ROLE=api), so the example agent's public endpoint is never
 * dialled.
 */

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

interface MediaType {
  example?: unknown;
  examples?: Record<string, { value?: unknown }>;
}

interface Operation {
  operationId: string;
  security?: unknown[];
  requestBody?: { content: Record<string, MediaType> };
}

interface Document {
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
}

interface Sent {
  operationId: string;
  /** Sent with the agentToken of POST /api/v1/agents (the agent's own API). */
  asAgent: boolean;
  method: string;
  path: string;
  example: string;
  body: unknown;
}

/** The JSON request body examples of every operation, in the order a newcomer would send them. */
function bodyExamples(document: Document): Sent[] {
  const examples: Sent[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      const json = operation?.requestBody?.content['application/json'];
      if (!operation || !json) continue;
      const named = Object.entries(json.examples ?? {}).map(([name, { value }]) => ({
        name,
        value,
      }));
      if (json.example !== undefined) named.push({ name: 'example', value: json.example });
      for (const { name, value } of named) {
        examples.push({
          operationId: operation.operationId,
          asAgent: (operation.security ?? []).some((scheme) => 'agentToken' in (scheme as object)),
          method,
          path,
          example: name,
          body: value,
        });
      }
    }
  }
  const rank = ({ operationId, path, asAgent }: Sent) =>
    operationId === 'authRegister'
      ? 0
      : operationId === 'authLogin'
        ? 1
        : asAgent
          ? 4
          : path.includes('{')
            ? 3
            : 2;
  return examples.sort((a, b) => rank(a) - rank(b));
}

/** The agent's reports on its tasks: each example is about attempt 1 of a task running on it. */
const AGENT_TASKS = '/api/v1/agent/tasks';

describe('OpenAPI request examples', () => {
  let iso: IsolatedEnv;
  let t: TestApp;
  let document: Document;

  /**
   * A new task of the example user, running its attempt 1 on the example agent as a worker would
   * have started it (this app runs none): what an agent reports on (docs/agent-protocol.md).
   */
  async function runningTask(accessToken: string, createdIds: Map<string, string>) {
    const agentId = createdIds.get('/api/v1/agents')!;
    const task = await request(t.http)
      .post('/api/v1/tasks')
      .auth(accessToken, { type: 'bearer' })
      .send({ name: 'reported on', taskType: 'summarize' })
      .expect(201);
    const taskId = (task.body as { id: string }).id;
    await t.dataSource.query(
      `WITH task AS (
         UPDATE tasks SET status = 'in_progress', agent_id = $2, attempts = 1, started_at = now()
          WHERE id = $1 RETURNING id)
       INSERT INTO task_attempts (task_id, number, agent_id) SELECT id, 1, $2 FROM task`,
      [taskId, agentId],
    );
    return taskId;
  }

  beforeAll(async () => {
    iso = await isolatedEnv('openapi_examples');
    t = await startApp({ ...iso.env, APP_ROLE: 'api' });
    document = (await request(t.http).get('/docs-json').expect(200)).body as Document;
  });

  afterAll(async () => {
    await t?.close();
    await iso?.drop();
  });

  it('gives every JSON request body an example, but the refresh token ones', () => {
    const withoutExample: string[] = [];
    for (const item of Object.values(document.paths)) {
      for (const method of METHODS) {
        const json = item[method]?.requestBody?.content['application/json'];
        if (json && json.example === undefined && Object.keys(json.examples ?? {}).length === 0) {
          withoutExample.push(item[method]!.operationId);
        }
      }
    }
    // Their one field is a refresh token, which only a login's answer can give.
    expect(withoutExample.sort()).toEqual(['authLogout', 'authRefresh']);
  });

  it('succeeds (2xx) with every request body example sent as it is, by a fresh user', async () => {
    const examples = bodyExamples(document);
    expect(examples.map((e) => e.operationId)).toEqual(
      expect.arrayContaining([
        'authRegister',
        'authLogin',
        'agentsCreate',
        'agentsUpdate',
        'agentsHeartbeat',
        'agentApiHeartbeat',
        'apiKeysCreate',
        'tasksCreate',
      ]),
    );
    const createdIds = new Map<string, string>();
    let accessToken: string | undefined;
    let agentToken: string | undefined;
    const answers: { operationId: string; example: string; status: number; body: unknown }[] = [];
    for (const sent of examples) {
      const operation = document.paths[sent.path][sent.method as (typeof METHODS)[number]]!;
      const { operationId, example } = sent;
      const collection = /^(.*?)\/\{[^}]+\}/.exec(sent.path)?.[1];
      const id =
        collection === AGENT_TASKS
          ? createdIds.get('/api/v1/agents')
          : collection === undefined
            ? undefined
            : createdIds.get(collection);
      const needsToken = operation.security?.length !== 0;
      const token = sent.asAgent ? agentToken : accessToken;
      if ((collection !== undefined && !id) || (needsToken && !token)) {
        // What the earlier examples failed to give (their own answers say why).
        const missing = needsToken && !token ? 'a token' : `an id for ${collection}`;
        answers.push({ operationId, example, status: 0, body: `no example gave ${missing}` });
        continue;
      }
      const path =
        collection === undefined
          ? sent.path
          : sent.path.replace(
              /\{[^}]+\}/,
              collection === AGENT_TASKS ? await runningTask(accessToken!, createdIds) : id!,
            );
      let call = request(t.http)
        [sent.method as 'post'](path)
        .set('X-Forwarded-For', uniqueIp())
        .send(sent.body as object);
      if (needsToken) call = call.set('Authorization', `Bearer ${token}`);
      const response = await call;
      const ok = response.status >= 200 && response.status < 300;
      answers.push({
        operationId,
        example,
        status: response.status,
        body: ok ? 'ok' : response.body,
      });
      const body = response.body as { id?: unknown; accessToken?: unknown; agentToken?: unknown };
      if (operationId === 'authLogin' && typeof body.accessToken === 'string') {
        accessToken = body.accessToken;
      }
      if (operationId === 'agentsCreate' && typeof body.agentToken === 'string') {
        agentToken = body.agentToken;
      }
      if (collection === undefined && sent.method === 'post' && typeof body.id === 'string') {
        createdIds.set(sent.path, body.id);
      }
    }
    expect(answers.filter((answer) => answer.body !== 'ok')).toEqual([]);
    expect(answers.length).toBe(examples.length);
  });
});
