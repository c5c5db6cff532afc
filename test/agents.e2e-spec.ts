import request from 'supertest';
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { AgentSlots } from '../src/execution/agent-slots';
import { AgentRouter, RouteRequest } from '../src/execution/agent-router';
import { startApp, TestApp, uniqueIp, uniqueName } from './support/app';
import { registerAdmin, registerUser, RegisteredUser } from './support/factories';
import { A2aTestAgent } from './support/a2a-test-agent';
import { isolatedEnv, IsolatedEnv } from './support/isolated-database';
import { waitFor } from './support/test-agent';

const AGENT_FIELDS = [
  'id',
  'ownerId',
  'name',
  'description',
  'capabilities',
  'status',
  'endpointUrl',
  'protocol',
  'maxConcurrency',
  'config',
  'inFlight',
  'lastHeartbeat',
  'createdAt',
  'updatedAt',
].sort();

interface AgentBody {
  id: string;
  ownerId: string;
  name: string;
  description: string | null;
  capabilities: string[];
  status: string;
  endpointUrl: string;
  protocol: string;
  maxConcurrency: number;
  config: Record<string, unknown>;
  inFlight: number;
  lastHeartbeat: string | null;
  createdAt: string;
  updatedAt: string;
  signingSecret?: string;
  agentToken?: string;
}

interface PageBody {
  items: AgentBody[];
  total: number;
  skip: number;
  limit: number;
  nextCursor: string | null;
}

const ENDPOINT = 'http://127.0.0.1:9/run';

/** An agent as every answer but the create one shows it. */
function publicView(agent: AgentBody): AgentBody {
  const view = { ...agent };
  delete view.signingSecret;
  delete view.agentToken;
  return view;
}

function api(t: TestApp, user: RegisteredUser) {
  const auth = (r: request.Test) => r.set('Authorization', `Bearer ${user.accessToken}`);
  return {
    post: (path: string) => auth(request(t.http).post(`/api/v1${path}`)),
    get: (path: string) => auth(request(t.http).get(`/api/v1${path}`)),
    patch: (path: string) => auth(request(t.http).patch(`/api/v1${path}`)),
    delete: (path: string) => auth(request(t.http).delete(`/api/v1${path}`)),
  };
}

async function createAgent(
  t: TestApp,
  user: RegisteredUser,
  body: Record<string, unknown> = {},
): Promise<AgentBody> {
  const response = await api(t, user)
    .post('/agents')
    .send({
      name: uniqueName('agent'),
      capabilities: ['summarize'],
      endpointUrl: ENDPOINT,
      ...body,
    })
    .expect(201);
  return response.body as AgentBody;
}

async function heartbeat(t: TestApp, user: RegisteredUser, id: string, status?: string) {
  return api(t, user)
    .post(`/agents/${id}/heartbeat`)
    .send(status ? { status } : {})
    .expect(200);
}

function expectProblem(response: request.Response, status: number): void {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ status, requestId: expect.any(String) });
}

describe('agents', () => {
  let t: TestApp;
  let strict: TestApp;
  let owner: RegisteredUser;
  let stranger: RegisteredUser;
  let admin: RegisteredUser;
  /** An a2a agent is registered only where its agent card can be read. */
  let a2aAgent: A2aTestAgent;

  beforeAll(async () => {
    t = await startApp({ AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1,localhost' });
    strict = await startApp({ AGENT_ENDPOINT_ALLOWLIST: '' });
    owner = await registerUser(t);
    stranger = await registerUser(t);
    admin = await registerAdmin(t);
    a2aAgent = await A2aTestAgent.start();
  });

  afterAll(async () => {
    await a2aAgent?.stop();
    await strict?.close();
    await t?.close();
  });

  describe('create and read', () => {
    it('creates an inactive agent and shows its signing secret and token only in the create response', async () => {
      const created = await createAgent(t, owner, {
        description: 'Summarises documents',
        capabilities: ['summarize', 'translate'],
        config: { model: 'small', nested: { temperature: 0.2 } },
      });
      expect(Object.keys(created).sort()).toEqual(
        [...AGENT_FIELDS, 'agentToken', 'signingSecret'].sort(),
      );
      expect(created).toMatchObject({
        ownerId: owner.id,
        description: 'Summarises documents',
        capabilities: ['summarize', 'translate'],
        status: 'inactive',
        endpointUrl: ENDPOINT,
        protocol: 'http',
        maxConcurrency: 1,
        config: { model: 'small', nested: { temperature: 0.2 } },
        inFlight: 0,
        lastHeartbeat: null,
      });
      expect(created.signingSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(created.agentToken).toMatch(/^ymra_[A-Za-z0-9_-]{43}$/);

      const fetched = await api(t, owner).get(`/agents/${created.id}`).expect(200);
      expect(Object.keys(fetched.body as object).sort()).toEqual(AGENT_FIELDS);
      const withoutSecret = publicView(created);
      expect(fetched.body).toEqual(withoutSecret);

      const list = await api(t, owner).get('/agents').expect(200);
      expect(JSON.stringify(list.body)).not.toContain(created.signingSecret);
      expect(JSON.stringify(list.body)).not.toContain(created.agentToken);
      expect((list.body as PageBody).items.find((a) => a.id === created.id)).toEqual(withoutSecret);
    });

    it('gives each agent its own signing secret', async () => {
      const a = await createAgent(t, owner);
      const b = await createAgent(t, owner);
      expect(a.signingSecret).not.toEqual(b.signingSecret);
    });

    it.each([
      ['no name', { name: undefined }],
      ['an empty name', { name: '' }],
      ['a name over 100 characters', { name: 'n'.repeat(101) }],
      ['a description over 1000 characters', { description: 'd'.repeat(1001) }],
      ['no capabilities', { capabilities: [] }],
      ['capabilities that are not an array', { capabilities: 'summarize' }],
      ['a capability that is not a string', { capabilities: [42] }],
      ['duplicate capabilities', { capabilities: ['a', 'a'] }],
      ['a capability with spaces', { capabilities: ['summarize text'] }],
      [
        'more than 100 capabilities',
        { capabilities: Array.from({ length: 101 }, (_, i) => `c${i}`) },
      ],
      ['an unknown protocol', { protocol: 'grpc' }],
      ['maxConcurrency 0', { maxConcurrency: 0 }],
      ['maxConcurrency 1001', { maxConcurrency: 1001 }],
      ['a fractional maxConcurrency', { maxConcurrency: 1.5 }],
      ['a config that is an array', { config: [1, 2] }],
      ['a config over 64 KiB', { config: { blob: 'x'.repeat(70_000) } }],
      [
        'a config with an unpaired UTF-16 surrogate (jsonb refuses it)',
        { config: { '\udfff': 1 } },
      ],
      [
        'an endpointUrl over 2048 characters',
        { endpointUrl: `http://127.0.0.1/${'p'.repeat(2048)}` },
      ],
      ['a status (set by heartbeats only)', { status: 'active' }],
      ['an ownerId (mass assignment)', { ownerId: '00000000-0000-4000-8000-000000000000' }],
      ['a signingSecret (mass assignment)', { signingSecret: 'mine' }],
      ['an inFlight (mass assignment)', { inFlight: 5 }],
    ])('refuses %s with 400 and field errors', async (_label, body) => {
      const response = await api(t, owner)
        .post('/agents')
        .send({ name: 'ok', capabilities: ['summarize'], endpointUrl: ENDPOINT, ...body });
      expectProblem(response, 400);
      expect(response.body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: expect.any(String) })]),
      );
    });

    it('answers 400 problem details when :id is not a UUID', async () => {
      for (const [method, path] of [
        ['get', '/agents/not-a-uuid'],
        ['patch', '/agents/not-a-uuid'],
        ['delete', '/agents/not-a-uuid'],
        ['post', '/agents/not-a-uuid/heartbeat'],
      ] as const) {
        const response = await api(t, owner)[method](path).send({});
        expectProblem(response, 400);
        expect(response.body.type).toBe('urn:ymera:problem:invalid-id');
        expect(response.body.detail).toBe('id must be a UUID.');
      }
    });

    it('answers 401 without a token', async () => {
      const response = await request(t.http).get('/api/v1/agents');
      expectProblem(response, 401);
    });
  });

  describe('list', () => {
    let lister: RegisteredUser;
    let agents: AgentBody[];

    beforeAll(async () => {
      lister = await registerUser(t);
      agents = [];
      for (const capabilities of [['summarize'], ['translate'], ['summarize', 'ocr']]) {
        agents.push(await createAgent(t, lister, { capabilities }));
      }
      await heartbeat(t, lister, agents[1].id);
    });

    it('lists only the caller’s agents, newest first', async () => {
      const response = await api(t, lister).get('/agents').expect(200);
      const page = response.body as PageBody;
      expect(page).toMatchObject({ total: 3, skip: 0, limit: 100, nextCursor: null });
      expect(page.items.map((a) => a.id)).toEqual(agents.map((a) => a.id).reverse());
    });

    it('filters by status and by capability', async () => {
      const active = (await api(t, lister).get('/agents?status=active').expect(200))
        .body as PageBody;
      expect(active.items.map((a) => a.id)).toEqual([agents[1].id]);
      expect(active.total).toBe(1);

      const summarizers = (await api(t, lister).get('/agents?capability=summarize').expect(200))
        .body as PageBody;
      expect(summarizers.items.map((a) => a.id)).toEqual([agents[2].id, agents[0].id]);

      const both = (
        await api(t, lister).get('/agents?capability=summarize&status=inactive').expect(200)
      ).body as PageBody;
      expect(both.total).toBe(2);

      const none = (await api(t, lister).get('/agents?capability=summ').expect(200))
        .body as PageBody;
      expect(none).toMatchObject({ items: [], total: 0 });
    });

    it('pages with skip, limit and cursor', async () => {
      const first = (await api(t, lister).get('/agents?limit=2').expect(200)).body as PageBody;
      expect(first.items.map((a) => a.id)).toEqual([agents[2].id, agents[1].id]);
      expect(first.nextCursor).toEqual(expect.any(String));

      const second = (
        await api(t, lister)
          .get(`/agents?limit=2&cursor=${encodeURIComponent(first.nextCursor!)}`)
          .expect(200)
      ).body as PageBody;
      expect(second.items.map((a) => a.id)).toEqual([agents[0].id]);
      expect(second.nextCursor).toBeNull();

      const skipped = (await api(t, lister).get('/agents?skip=1&limit=1').expect(200))
        .body as PageBody;
      expect(skipped.items.map((a) => a.id)).toEqual([agents[1].id]);
    });

    it('clamps a limit over 1000 to 1000', async () => {
      const page = (await api(t, lister).get('/agents?limit=5000').expect(200)).body as PageBody;
      expect(page.limit).toBe(1000);
      expect(page.items).toHaveLength(3);
    });

    it.each([
      'skip=-1',
      'limit=0',
      'limit=abc',
      'status=sleeping',
      `capability=${'c'.repeat(101)}`,
      'cursor=garbage',
      'owner=someone',
    ])('refuses ?%s with 400', async (query) => {
      expectProblem(await api(t, lister).get(`/agents?${query}`), 400);
    });
  });

  describe('update and delete', () => {
    it('changes only the fields sent, and may clear the description', async () => {
      const agent = await createAgent(t, owner, { description: 'old', config: { a: 1 } });
      const response = await api(t, owner)
        .patch(`/agents/${agent.id}`)
        .send({
          name: 'renamed',
          description: null,
          capabilities: ['ocr'],
          protocol: 'a2a',
          maxConcurrency: 4,
          config: { b: 2 },
          endpointUrl: a2aAgent.url,
        })
        .expect(200);
      const updated = response.body as AgentBody;
      expect(Object.keys(updated).sort()).toEqual(AGENT_FIELDS);
      expect(updated).toMatchObject({
        id: agent.id,
        ownerId: owner.id,
        name: 'renamed',
        description: null,
        capabilities: ['ocr'],
        protocol: 'a2a',
        maxConcurrency: 4,
        config: { b: 2 },
        endpointUrl: a2aAgent.url,
        status: 'inactive',
        createdAt: agent.createdAt,
      });
      expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(agent.updatedAt));

      const unchanged = await api(t, owner).patch(`/agents/${agent.id}`).send({}).expect(200);
      expect(unchanged.body).toEqual(updated);
    });

    it.each([
      ['a null name', { name: null }],
      ['null capabilities', { capabilities: null }],
      ['a null endpointUrl', { endpointUrl: null }],
      ['a null config', { config: null }],
      ['maxConcurrency 0', { maxConcurrency: 0 }],
      ['a status', { status: 'active' }],
      ['an ownerId', { ownerId: '00000000-0000-4000-8000-000000000000' }],
      ['a signingSecret', { signingSecret: 'mine' }],
    ])('refuses %s with 400', async (_label, body) => {
      const agent = await createAgent(t, owner);
      expectProblem(await api(t, owner).patch(`/agents/${agent.id}`).send(body), 400);
      const after = await api(t, owner).get(`/agents/${agent.id}`).expect(200);
      expect(after.body).toEqual(publicView(agent));
    });

    it('deletes with 204, after which the agent is gone', async () => {
      const agent = await createAgent(t, owner);
      await api(t, owner).delete(`/agents/${agent.id}`).expect(204);
      expectProblem(await api(t, owner).get(`/agents/${agent.id}`), 404);
      expectProblem(await api(t, owner).delete(`/agents/${agent.id}`), 404);
    });
  });

  describe('heartbeat', () => {
    it('makes an agent active by default and records when', async () => {
      const agent = await createAgent(t, owner);
      const before = Date.now();
      const response = await heartbeat(t, owner, agent.id);
      expect(Object.keys(response.body as object).sort()).toEqual([
        'id',
        'lastHeartbeat',
        'status',
      ]);
      expect(response.body).toMatchObject({ id: agent.id, status: 'active' });
      expect(Date.parse(response.body.lastHeartbeat)).toBeGreaterThanOrEqual(before - 1000);

      const fetched = (await api(t, owner).get(`/agents/${agent.id}`).expect(200))
        .body as AgentBody;
      expect(fetched).toMatchObject({
        status: 'active',
        lastHeartbeat: response.body.lastHeartbeat,
      });
    });

    it('reports the status the agent gives', async () => {
      const agent = await createAgent(t, owner);
      for (const status of ['busy', 'error', 'inactive', 'active']) {
        const response = await heartbeat(t, owner, agent.id, status);
        expect(response.body.status).toBe(status);
      }
    });

    it('refuses an unknown status and unknown properties', async () => {
      const agent = await createAgent(t, owner);
      const sender = api(t, owner);
      expectProblem(
        await sender.post(`/agents/${agent.id}/heartbeat`).send({ status: 'asleep' }),
        400,
      );
      expectProblem(
        await sender.post(`/agents/${agent.id}/heartbeat`).send({ lastHeartbeat: 'x' }),
        400,
      );
    });
  });

  describe('ownership', () => {
    it('answers 404 to a non-owner on every agent endpoint, exactly as for a missing agent', async () => {
      const agent = await createAgent(t, owner, { capabilities: ['private-skill'] });
      const missing = '00000000-0000-4000-8000-000000000000';
      const calls = (id: string) =>
        [
          () => api(t, stranger).get(`/agents/${id}`),
          () => api(t, stranger).patch(`/agents/${id}`).send({ name: 'stolen' }),
          () => api(t, stranger).delete(`/agents/${id}`),
          () => api(t, stranger).post(`/agents/${id}/heartbeat`).send({ status: 'error' }),
        ] as const;
      const missingCalls = calls(missing);
      const theirCalls = calls(agent.id);
      for (let i = 0; i < theirCalls.length; i += 1) {
        const theirs = await theirCalls[i]();
        const nothing = await missingCalls[i]();
        expectProblem(theirs, 404);
        expect(theirs.body.detail).toBe(nothing.body.detail);
        expect(theirs.body.title).toBe(nothing.body.title);
        expect(theirs.body.type).toBe(nothing.body.type);
        expect(theirs.body.type).toBe('urn:ymera:problem:agent-not-found');
      }
      const after = (await api(t, owner).get(`/agents/${agent.id}`).expect(200)).body as AgentBody;
      expect(after).toMatchObject({ name: agent.name, status: 'inactive', lastHeartbeat: null });
    });

    it('never lists another user’s agents, whatever the filters', async () => {
      const agent = await createAgent(t, owner, { capabilities: ['owners-only'] });
      for (const query of ['', '?capability=owners-only', '?status=inactive', '?limit=1000']) {
        const page = (await api(t, stranger).get(`/agents${query}`).expect(200)).body as PageBody;
        expect(page.items.every((a) => a.ownerId === stranger.id)).toBe(true);
        expect(page.items.map((a) => a.id)).not.toContain(agent.id);
      }
    });

    it('lets an admin see and manage every agent', async () => {
      const mine = await createAgent(t, owner, { capabilities: ['admin-visible'] });
      const theirs = await createAgent(t, stranger, { capabilities: ['admin-visible'] });
      const page = (await api(t, admin).get('/agents?capability=admin-visible').expect(200))
        .body as PageBody;
      expect(page.items.map((a) => a.id)).toEqual([theirs.id, mine.id]);

      await api(t, admin).get(`/agents/${mine.id}`).expect(200);
      const patched = await api(t, admin)
        .patch(`/agents/${mine.id}`)
        .send({ maxConcurrency: 3 })
        .expect(200);
      expect(patched.body).toMatchObject({ ownerId: owner.id, maxConcurrency: 3 });
      await heartbeat(t, admin, theirs.id);
      await api(t, admin).delete(`/agents/${theirs.id}`).expect(204);
      expectProblem(await api(t, stranger).get(`/agents/${theirs.id}`), 404);
    });
  });

  describe('endpoint policy (SSRF)', () => {
    const alwaysRefused = [
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      'http://100.100.100.200/',
      'http://metadata.google.internal/',
      'http://[fe80::1]/',
      'file:///etc/passwd',
      'ftp://127.0.0.1/file',
      'gopher://127.0.0.1:70/_x',
      'http://user:password@127.0.0.1/',
      'http://10.1.2.3/',
      'http://192.168.0.10/',
      'not a url',
    ];

    it.each(alwaysRefused)('refuses %s at create, even with loopback allow-listed', async (url) => {
      const response = await api(t, owner)
        .post('/agents')
        .send({ name: 'ssrf', capabilities: ['x'], endpointUrl: url });
      expectProblem(response, 400);
      expect(response.body.type).toBe('urn:ymera:problem:endpoint-refused');
      expect(response.body.detail).toMatch(/^endpointUrl /);
    });

    it.each(alwaysRefused)('refuses %s at patch and leaves the agent unchanged', async (url) => {
      const agent = await createAgent(t, owner);
      const response = await api(t, owner).patch(`/agents/${agent.id}`).send({ endpointUrl: url });
      expectProblem(response, 400);
      expect(response.body.type).toBe('urn:ymera:problem:endpoint-refused');
      expect(response.body.detail).toMatch(/^endpointUrl /);
      const after = (await api(t, owner).get(`/agents/${agent.id}`).expect(200)).body as AgentBody;
      expect(after.endpointUrl).toBe(ENDPOINT);
    });

    it.each(['http://localhost:8080/run', 'http://127.0.0.1/run', 'http://[::1]:8080/'])(
      'refuses the loopback endpoint %s when it is not allow-listed',
      async (url) => {
        const user = await registerUser(strict);
        const response = await api(strict, user)
          .post('/agents')
          .send({ name: 'local', capabilities: ['x'], endpointUrl: url });
        expectProblem(response, 400);
        expect(response.body.type).toBe('urn:ymera:problem:endpoint-refused');
        expect(response.body.detail).toContain('allow-list');
      },
    );

    it('allows loopback endpoints named in AGENT_ENDPOINT_ALLOWLIST', async () => {
      for (const endpointUrl of ['http://localhost:8080/run', 'https://127.0.0.1:8443/run']) {
        const agent = await createAgent(t, owner, { endpointUrl });
        expect(agent.endpointUrl).toBe(endpointUrl);
      }
    });

    it('does not tell a stranger whether a URL would pass for someone else’s agent', async () => {
      const agent = await createAgent(t, owner);
      const response = await api(t, stranger)
        .patch(`/agents/${agent.id}`)
        .send({ endpointUrl: 'http://169.254.169.254/' });
      expectProblem(response, 404);
    });
  });

  describe('audit', () => {
    it('records create, update and delete with the client context and no secrets', async () => {
      const ip = uniqueIp();
      const sender = api(t, owner);
      const created = (
        await sender
          .post('/agents')
          .set('X-Forwarded-For', ip)
          .set('X-Request-Id', 'agent-create-1')
          .set('User-Agent', 'agents-e2e')
          .send({
            name: 'audited',
            capabilities: ['x'],
            endpointUrl: ENDPOINT,
            config: { apiKey: 'k' },
          })
          .expect(201)
      ).body as AgentBody;
      await sender
        .patch(`/agents/${created.id}`)
        .set('X-Forwarded-For', ip)
        .set('X-Request-Id', 'agent-update-1')
        .send({ name: 'audited-2', maxConcurrency: 2 })
        .expect(200);
      await sender
        .delete(`/agents/${created.id}`)
        .set('X-Forwarded-For', ip)
        .set('X-Request-Id', 'agent-delete-1')
        .expect(204);

      const logs = (
        await api(t, admin)
          .get(`/audit-logs?resourceType=agent&resourceId=${created.id}`)
          .expect(200)
      ).body as { items: Record<string, unknown>[] };
      expect(logs.items.map((log) => log.action)).toEqual([
        'agent.delete',
        'agent.update',
        'agent.create',
      ]);
      for (const log of logs.items) {
        expect(log).toMatchObject({
          actorId: owner.id,
          outcome: 'success',
          ipAddress: ip,
          resourceType: 'agent',
          resourceId: created.id,
        });
      }
      const [deleted, updated, create] = logs.items;
      expect(create).toMatchObject({
        requestId: 'agent-create-1',
        userAgent: 'agents-e2e',
        details: { name: 'audited', capabilities: ['x'], endpointHost: '127.0.0.1:9' },
      });
      expect(updated).toMatchObject({
        requestId: 'agent-update-1',
        details: { changed: ['name', 'maxConcurrency'] },
      });
      expect(deleted).toMatchObject({
        requestId: 'agent-delete-1',
        details: { name: 'audited-2' },
      });
      const text = JSON.stringify(logs.items);
      expect(text).not.toContain(created.signingSecret);
      expect(text).not.toContain('signingSecret');
      expect(text).not.toContain('apiKey');
    });

    it('records nothing for a refused change', async () => {
      const agent = await createAgent(t, owner);
      await api(t, stranger).delete(`/agents/${agent.id}`).expect(404);
      await api(t, owner)
        .patch(`/agents/${agent.id}`)
        .send({ endpointUrl: 'file:///x' })
        .expect(400);
      const logs = (
        await api(t, admin).get(`/audit-logs?resourceType=agent&resourceId=${agent.id}`).expect(200)
      ).body as { items: { action: string }[] };
      expect(logs.items.map((log) => log.action)).toEqual(['agent.create']);
    });
  });

  describe('routing (AgentRouter, AgentSlots)', () => {
    let agentRouter: AgentRouter;
    let slots: AgentSlots;
    let router: RegisteredUser;
    let other: RegisteredUser;

    beforeAll(async () => {
      agentRouter = t.app.get(AgentRouter);
      slots = t.app.get(AgentSlots);
      router = await registerUser(t);
      other = await registerUser(t);
    });

    const claim = (
      input: Omit<RouteRequest, 'requestedAgentId'> & Partial<RouteRequest>,
      attemptId = randomUUID(),
    ) => agentRouter.claim({ requestedAgentId: null, ...input }, attemptId);

    it('claims only the owner’s active agent with the capability, within maxConcurrency', async () => {
      const taskType = uniqueName('route');
      const capable = await createAgent(t, router, {
        capabilities: [taskType],
        protocol: 'a2a',
        endpointUrl: a2aAgent.url,
      });
      const idle = await createAgent(t, router, { capabilities: [taskType] });
      const unrelated = await createAgent(t, router, { capabilities: ['something-else'] });
      const foreign = await createAgent(t, other, { capabilities: [taskType], maxConcurrency: 10 });
      await heartbeat(t, router, capable.id);
      await heartbeat(t, router, unrelated.id);
      await heartbeat(t, other, foreign.id);
      await heartbeat(t, router, idle.id, 'busy');

      const attemptId = randomUUID();
      expect(await claim({ ownerId: router.id, taskType }, attemptId)).toEqual({
        id: capable.id,
        endpointUrl: a2aAgent.url,
        protocol: 'a2a',
        signingSecret: capable.signingSecret,
        maxConcurrency: 1,
      });
      expect(await slots.taken(capable.id)).toBe(1);

      // maxConcurrency 1: the slot is taken; busy, incapable and foreign agents are never chosen.
      expect(await claim({ ownerId: router.id, taskType })).toBe('busy');
      expect(await slots.taken(foreign.id)).toBe(0);

      await slots.release(capable.id, attemptId);
      expect(await slots.taken(capable.id)).toBe(0);
      const again = await claim({ ownerId: router.id, taskType, requestedAgentId: null });
      expect(again).toMatchObject({ id: capable.id });
    });

    it('never claims another user’s agent, even when agentId names it', async () => {
      const taskType = uniqueName('route');
      const foreign = await createAgent(t, other, { capabilities: [taskType], maxConcurrency: 5 });
      await heartbeat(t, other, foreign.id);
      expect(await claim({ ownerId: router.id, taskType, requestedAgentId: foreign.id })).toBe(
        'none',
      );
      expect(await claim({ ownerId: router.id, taskType })).toBe('none');
      expect(await slots.taken(foreign.id)).toBe(0);
    });

    it('claims a named agent of the owner only while it is active and has a free slot', async () => {
      const named = await createAgent(t, router, { capabilities: ['anything'] });
      const input = {
        ownerId: router.id,
        taskType: 'not-its-capability',
        requestedAgentId: named.id,
      };
      expect(await claim(input)).toBe('none');

      await heartbeat(t, router, named.id);
      expect(await claim(input)).toMatchObject({ id: named.id });
      expect(await claim(input)).toBe('busy');
    });

    it('spreads claims to the least-loaded agent', async () => {
      const taskType = uniqueName('route');
      const a = await createAgent(t, router, { capabilities: [taskType], maxConcurrency: 2 });
      const b = await createAgent(t, router, { capabilities: [taskType], maxConcurrency: 2 });
      await heartbeat(t, router, a.id);
      await heartbeat(t, router, b.id);
      const ids = [];
      for (let i = 0; i < 4; i += 1) {
        const target = await claim({ ownerId: router.id, taskType });
        ids.push(typeof target === 'string' ? target : target.id);
      }
      expect(ids.slice(0, 2).sort()).toEqual([a.id, b.id].sort());
      expect(ids.slice(2).sort()).toEqual([a.id, b.id].sort());
      expect(await claim({ ownerId: router.id, taskType })).toBe('busy');
      expect(await slots.taken(a.id)).toBe(2);
      expect(await slots.taken(b.id)).toBe(2);
    });

    it('never exceeds maxConcurrency under concurrent claims, and grants every free slot', async () => {
      const taskType = uniqueName('route');
      const agent = await createAgent(t, router, { capabilities: [taskType], maxConcurrency: 20 });
      await heartbeat(t, router, agent.id);
      const claims = await Promise.all(
        Array.from({ length: 50 }, () => claim({ ownerId: router.id, taskType })),
      );
      expect(claims.filter((target) => typeof target !== 'string')).toHaveLength(20);
      expect(claims.filter((target) => target === 'busy')).toHaveLength(30);
      expect(await slots.taken(agent.id)).toBe(20);
    });

    it('gives a slot back once, whatever the number of releases', async () => {
      const taskType = uniqueName('route');
      const agent = await createAgent(t, router, { capabilities: [taskType], maxConcurrency: 2 });
      await heartbeat(t, router, agent.id);
      const first = randomUUID();
      await claim({ ownerId: router.id, taskType }, first);
      await claim({ ownerId: router.id, taskType });
      await slots.release(agent.id, first);
      await slots.release(agent.id, first);
      expect(await slots.taken(agent.id)).toBe(1);
    });

    it('repair gives back slots no running attempt holds and restores those of running ones', async () => {
      // A prefix of its own: repair looks at every agent's slots under its prefix.
      const redis = new Redis(process.env.REDIS_URL!, {
        keyPrefix: `${process.env.REDIS_KEY_PREFIX}-repair:`,
      });
      try {
        const own = new AgentSlots(redis);
        const agent = { id: randomUUID(), maxConcurrency: 5 };
        const [leaked, young, running] = [randomUUID(), randomUUID(), randomUUID()];
        await own.claim([agent], leaked);
        await new Promise((resolve) => setTimeout(resolve, 100));
        await own.claim([agent], young);

        // `leaked` is older than the grace period and no running attempt holds it; `young` may be
        // about to start its attempt; `running` runs (PostgreSQL says so) but Redis lost its slot.
        const repaired = await own.repair(
          [{ agentId: agent.id, attemptId: running, startedAt: new Date(Date.now() - 60_000) }],
          50,
        );
        expect(repaired).toEqual({ freed: 1, restored: 1 });
        expect(await own.taken(agent.id)).toBe(2);
        await own.release(agent.id, young);
        await own.release(agent.id, running);
        expect(await own.taken(agent.id)).toBe(0);
      } finally {
        redis.disconnect();
      }
    });
  });
});

describe('agent heartbeat TTL', () => {
  let iso: IsolatedEnv | undefined;
  let t: TestApp | undefined;

  /**
   * Its own database and Redis prefix: a 1 s TTL sweeps every agent it sees, and its reconciler
   * squares the agent slots it sees with the attempts of its own database only.
   */
  beforeAll(async () => {
    iso = await isolatedEnv('ttl');
    t = await startApp({
      ...iso.env,
      AGENT_HEARTBEAT_TTL_S: '1',
      AGENT_SWEEP_INTERVAL_MS: '200',
      AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1',
    });
  });

  afterAll(async () => {
    await t?.close();
    await iso?.drop();
  });

  it('sets active and busy agents inactive once their heartbeat is older than the TTL', async () => {
    const app = t!;
    const user = await registerUser(app);
    const active = await createAgent(app, user);
    const busy = await createAgent(app, user);
    const errored = await createAgent(app, user);
    await heartbeat(app, user, active.id);
    await heartbeat(app, user, busy.id, 'busy');
    await heartbeat(app, user, errored.id, 'error');

    const read = async (id: string) =>
      ((await api(app, user).get(`/agents/${id}`).expect(200)).body as AgentBody).status;
    const expired = (id: string) => async () => (await read(id)) === 'inactive';
    await waitFor(expired(active.id), { timeoutMs: 10_000, what: 'the active agent to expire' });
    await waitFor(expired(busy.id), { timeoutMs: 10_000, what: 'the busy agent to expire' });
    expect(await read(active.id)).toBe('inactive');
    expect(await read(busy.id)).toBe('inactive');
    // An agent that reported an error keeps saying so: only live states expire.
    expect(await read(errored.id)).toBe('error');

    // A fresh heartbeat brings it back.
    await heartbeat(app, user, active.id);
    expect(await read(active.id)).toBe('active');
  });
});
