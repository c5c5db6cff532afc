import request from 'supertest';
import { DispatchService } from '../src/dispatch/dispatch.service';
import { startApp, TestApp } from './support/app';
import { A2aTestAgent } from './support/a2a-test-agent';
import { registerUser, RegisteredUser } from './support/factories';
import { isolatedEnv, IsolatedEnv } from './support/isolated-database';
import { expectProblem } from './support/problem-details';
import { taskReads, TaskView } from './support/tasks';
import { waitFor } from './support/test-agent';

/**
 * A2A agents end to end (docs/agent-protocol.md, "A2A agents"): the real application dispatching
 * through the official SDK's client to A2A agents on 127.0.0.1 built with the SDK's server side.
 */
interface AgentView {
  id: string;
  capabilities: string[];
  status: string;
  lastHeartbeat: string | null;
  protocol: string;
}

const bearer = { type: 'bearer' as const };

describe('A2A agents', () => {
  let iso: IsolatedEnv;
  let t: TestApp;
  let alice: RegisteredUser;
  let agent: A2aTestAgent;

  function register(body: Record<string, unknown>, as: RegisteredUser = alice) {
    return request(t.http)
      .post('/api/v1/agents')
      .auth(as.accessToken, bearer)
      .send({ name: 'a2a agent', protocol: 'a2a', maxConcurrency: 20, ...body });
  }

  async function agentView(id: string, as: RegisteredUser = alice): Promise<AgentView> {
    return (await request(t.http).get(`/api/v1/agents/${id}`).auth(as.accessToken, bearer))
      .body as AgentView;
  }

  async function submit(body: Record<string, unknown>, as: RegisteredUser = alice) {
    const response = await request(t.http)
      .post('/api/v1/tasks')
      .auth(as.accessToken, bearer)
      .send({ name: 'an a2a task', taskType: 'a2a-echo', ...body })
      .expect(201);
    return response.body as TaskView;
  }

  const { finished, attempts: attemptsOf } = taskReads(
    () => t,
    () => alice,
  );

  beforeAll(async () => {
    // Its own database and queue: the heartbeat TTL here (a card check every second) is not
    // other spec files'.
    iso = await isolatedEnv('a2a');
    t = await startApp({
      ...iso.env,
      AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1',
      AGENT_HEARTBEAT_TTL_S: '2',
      TASK_BACKOFF_BASE_MS: '100',
    });
    alice = await registerUser(t);
    agent = await A2aTestAgent.start({ skills: ['a2a-echo', 'a2a-other'] });
    const created = (await register({ endpointUrl: agent.url }).expect(201)).body as AgentView;
    await waitFor(async () => (await agentView(created.id)).status === 'active', {
      what: 'the a2a agent to become active',
    });
  });

  afterAll(async () => {
    await t?.close();
    await agent?.stop();
    await iso?.drop();
  });

  describe('registration', () => {
    it('reads the card and takes its skill ids as capabilities when none are sent', async () => {
      const reads = agent.cardReads;
      const response = await register({ endpointUrl: agent.url }).expect(201);
      expect(response.body).toMatchObject({
        protocol: 'a2a',
        capabilities: ['a2a-echo', 'a2a-other'],
        status: 'inactive',
        endpointUrl: agent.url,
      });
      expect(response.body.signingSecret).toEqual(expect.any(String));
      expect(agent.cardReads).toBeGreaterThan(reads);
    });

    it('keeps the capabilities sent, still reading the card', async () => {
      const reads = agent.cardReads;
      const response = await register({ endpointUrl: agent.url, capabilities: ['only-this'] });
      expect(response.status).toBe(201);
      expect(response.body.capabilities).toEqual(['only-this']);
      expect(agent.cardReads).toBeGreaterThan(reads);
    });

    it('still requires capabilities of an http agent', async () => {
      const response = await request(t.http)
        .post('/api/v1/agents')
        .auth(alice.accessToken, bearer)
        .send({ name: 'http agent', endpointUrl: agent.url });
      expectProblem(response, 400);
    });

    it.each([
      ['missing', 'agent-card-unreachable', /HTTP 404/],
      ['not-json', 'agent-card-invalid', /not JSON/],
      ['no-json-rpc', 'agent-card-invalid', /no JSON-RPC interface/],
    ] as const)(
      'refuses a card that is %s with 400 %s, creating nothing',
      async (mode, code, detail) => {
        const broken = await A2aTestAgent.start();
        broken.cardMode = mode;
        try {
          const owner = await registerUser(t);
          const response = await register({ endpointUrl: broken.url }, owner);
          expectProblem(response, 400);
          expect(response.body.type).toBe(`urn:ymera:problem:${code}`);
          expect(response.body.detail).toMatch(detail);
          const list = await request(t.http).get('/api/v1/agents').auth(owner.accessToken, bearer);
          expect(list.body.total).toBe(0);
        } finally {
          await broken.stop();
        }
      },
    );

    it('refuses an agent where nothing answers with 400 agent-card-unreachable', async () => {
      const gone = await A2aTestAgent.start();
      const url = gone.url;
      await gone.stop();
      const response = await register({ endpointUrl: url });
      expectProblem(response, 400);
      expect(response.body.type).toBe('urn:ymera:problem:agent-card-unreachable');
    });

    it('refuses a card whose JSON-RPC url the SSRF policy refuses', async () => {
      const sneaky = await A2aTestAgent.start();
      sneaky.rpcUrl = 'http://169.254.169.254/latest/meta-data';
      try {
        const response = await register({ endpointUrl: sneaky.url });
        expectProblem(response, 400);
        expect(response.body.type).toBe('urn:ymera:problem:endpoint-refused');
      } finally {
        await sneaky.stop();
      }
    });

    it('refuses skill ids that are not capabilities when it would take them', async () => {
      const odd = await A2aTestAgent.start({ skills: ['has spaces'] });
      try {
        const response = await register({ endpointUrl: odd.url });
        expectProblem(response, 400);
        expect(response.body.type).toBe('urn:ymera:problem:agent-card-invalid');
        expect(response.body.detail).toContain('"has spaces"');
      } finally {
        await odd.stop();
      }
    });
  });

  it('makes an agent active through the card check alone, with no heartbeat', async () => {
    const owner = await registerUser(t);
    const created = (await register({ endpointUrl: agent.url }, owner).expect(201))
      .body as AgentView;
    expect(created.status).toBe('inactive');
    expect(created.lastHeartbeat).toBeNull();
    const active = await waitFor(
      async () => {
        const view = await agentView(created.id, owner);
        return view.status === 'active' ? view : undefined;
      },
      { what: 'the card check to make the agent active' },
    );
    expect(active.lastHeartbeat).toEqual(expect.any(String));
  });

  it('lets an agent whose card stops answering become inactive', async () => {
    const owner = await registerUser(t);
    const fading = await A2aTestAgent.start();
    try {
      const created = (await register({ endpointUrl: fading.url }, owner).expect(201))
        .body as AgentView;
      await waitFor(async () => (await agentView(created.id, owner)).status === 'active', {
        what: 'the agent to become active',
      });
      fading.cardMode = 'missing';
      await waitFor(async () => (await agentView(created.id, owner)).status === 'inactive', {
        what: 'the agent to become inactive',
      });
    } finally {
      await fading.stop();
    }
  });

  describe('dispatch', () => {
    it('completes with the artifacts as result, over message/send (0.3)', async () => {
      const task = await submit({ name: 'echo please', parameters: { text: 'hello' } });
      const done = await finished(task.id);
      expect(done.status).toBe('completed');
      expect(done.result).toEqual([
        {
          artifactId: 'echo',
          name: 'echo',
          parts: [
            { kind: 'data', data: { taskType: 'a2a-echo', parameters: { text: 'hello' } } },
            { kind: 'text', text: 'echo please' },
          ],
        },
      ]);
      expect(agent.callsFor('message/send').length).toBeGreaterThan(0);
    });

    it('completes with the parts of a direct message reply', async () => {
      const done = await finished((await submit({ parameters: { behaviour: 'message' } })).id);
      expect(done.status).toBe('completed');
      expect(done.result).toEqual([
        {
          messageId: expect.any(String),
          parts: [
            { kind: 'text', text: 'done' },
            { kind: 'data', data: { echo: { behaviour: 'message' } } },
          ],
        },
      ]);
    });

    it('polls tasks/get while the task is working, until it completes', async () => {
      const task = await submit({ parameters: { behaviour: 'working-then-complete', ms: 700 } });
      const done = await finished(task.id);
      expect(done.status).toBe('completed');
      expect(done.attempts).toBe(1);
      const [sent] = agent.calls.filter((call) => call.method === 'message/send').slice(-1);
      expect(sent).toBeDefined();
      expect(agent.callsFor('tasks/get').length).toBeGreaterThan(0);
    });

    it.each([
      ['fail', /failed the task: the model is down/],
      ['reject', /rejected the task: the model is down/],
      [
        'input-required',
        /asked for more input \(input-required\), which Ymera cannot give: the model is down/,
      ],
      ['auth-required', /asked for authentication \(auth-required\)/],
    ])(
      'fails at once when the agent ends the task %s, keeping its message',
      async (behaviour, error) => {
        const task = await submit({
          maxAttempts: 3,
          parameters: { behaviour, text: 'the model is down' },
        });
        const done = await finished(task.id);
        expect(done.status).toBe('failed');
        expect(done.attempts).toBe(1);
        expect(done.errorMessage).toMatch(error);
        const attempts = await attemptsOf(task.id);
        expect(attempts).toHaveLength(1);
        expect(attempts[0]).toMatchObject({ outcome: 'permanent_error' });
      },
    );

    it('retries a task still working at the attempt timeout', async () => {
      const task = await submit({
        maxAttempts: 2,
        timeoutMs: 800,
        parameters: { behaviour: 'hang' },
      });
      const done = await finished(task.id);
      expect(done.status).toBe('failed');
      expect(done.attempts).toBe(2);
      const attempts = await attemptsOf(task.id);
      expect(attempts.map((attempt) => attempt.outcome)).toEqual([
        'retryable_error',
        'retryable_error',
      ]);
      expect(attempts[0].error).toMatch(/did not finish within 800 ms/);
    });

    it('speaks protocol 1.0 to an agent whose card offers it', async () => {
      const modern = await A2aTestAgent.start({ skills: ['a2a-modern'], version: '1.0' });
      try {
        const created = (await register({ endpointUrl: modern.url }).expect(201)).body as AgentView;
        await waitFor(async () => (await agentView(created.id)).status === 'active', {
          what: 'the 1.0 agent to become active',
        });
        const task = await submit({
          taskType: 'a2a-modern',
          parameters: { behaviour: 'working-then-complete', ms: 300 },
        });
        const done = await finished(task.id);
        expect(done.status).toBe('completed');
        expect(modern.callsFor('SendMessage')).toHaveLength(1);
        expect(modern.callsFor('GetTask').length).toBeGreaterThan(0);
        expect(modern.callsFor('message/send')).toHaveLength(0);
      } finally {
        await modern.stop();
      }
    });
  });

  describe('cancel (transport)', () => {
    const message = (taskId: string) => ({
      taskId,
      attempt: 1,
      taskType: 'a2a-echo',
      name: 'cancel me',
      parameters: { behaviour: 'hang' },
      priority: 'normal',
    });

    it('aborting cancel sends tasks/cancel for the running task and ends cancelled', async () => {
      const dispatcher = t.app.get(DispatchService);
      const cancel = new AbortController();
      const target = {
        id: 'agent',
        endpointUrl: agent.url,
        protocol: 'a2a' as const,
        signingSecret: 'x',
      };
      const gets = agent.callsFor('tasks/get').length;
      const outcome = dispatcher.dispatch(target, message('cancel-1'), {
        timeoutMs: 20_000,
        cancel: cancel.signal,
      });
      await waitFor(() => agent.callsFor('tasks/get').length > gets, {
        what: 'the dispatch to be polling',
      });
      cancel.abort();
      await expect(outcome).resolves.toMatchObject({ outcome: 'cancelled', httpStatus: null });
      const cancels = agent.callsFor('tasks/cancel');
      expect(cancels).toHaveLength(1);
      expect(cancels[0].taskId).toEqual(expect.any(String));
    });

    it('a worker stop aborts without telling the agent, interrupted', async () => {
      const dispatcher = t.app.get(DispatchService);
      const stop = new AbortController();
      const target = {
        id: 'agent',
        endpointUrl: agent.url,
        protocol: 'a2a' as const,
        signingSecret: 'x',
      };
      const cancels = agent.callsFor('tasks/cancel').length;
      const gets = agent.callsFor('tasks/get').length;
      const outcome = dispatcher.dispatch(target, message('stop-1'), {
        timeoutMs: 20_000,
        signal: stop.signal,
      });
      await waitFor(() => agent.callsFor('tasks/get').length > gets, { what: 'polling' });
      stop.abort();
      await expect(outcome).resolves.toMatchObject({ outcome: 'interrupted' });
      expect(agent.callsFor('tasks/cancel')).toHaveLength(cancels);
    });

    it("the owner's cancel of a running task reaches the agent as tasks/cancel", async () => {
      const cancels = agent.callsFor('tasks/cancel').length;
      const gets = agent.callsFor('tasks/get').length;
      const task = await submit({ parameters: { behaviour: 'hang' } });
      await waitFor(() => agent.callsFor('tasks/get').length > gets, {
        what: 'the task to be polled',
      });
      const cancelled = await request(t.http)
        .post(`/api/v1/tasks/${task.id}/cancel`)
        .auth(alice.accessToken, bearer)
        .expect(200);
      expect(cancelled.body.status).toBe('cancelled');
      await waitFor(() => agent.callsFor('tasks/cancel').length > cancels, {
        what: 'tasks/cancel to reach the agent',
      });
      expect(await attemptsOf(task.id)).toEqual([
        expect.objectContaining({ number: 1, outcome: 'cancelled' }),
      ]);
      expect(await finished(task.id)).toMatchObject({ status: 'cancelled', result: null });
    });
  });
});
