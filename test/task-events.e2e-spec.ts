import { AddressInfo, connect } from 'node:net';
import request from 'supertest';
import { TaskEventsService } from '../src/execution/task-events.service';
import { startApp, TestApp } from './support/app';
import { EventStreamClient, StreamedEvent } from './support/event-stream';
import { registerAdmin, registerUser, RegisteredUser } from './support/factories';
import { isolatedEnv, IsolatedEnv } from './support/isolated-database';
import { expectProblem } from './support/problem-details';
import { ListeningApp, PROCESS_START_TIMEOUT_MS, spawnListeningApp } from './support/processes';
import { taskReads, TaskView } from './support/tasks';
import { registerTestAgent, TestAgent, waitFor } from './support/test-agent';

const bearer = { type: 'bearer' as const };
const KEEPALIVE_MS = 200;
/** The slow client's app cuts a stream with more than this unsent (the kernel's buffers full). */
const TINY_BUFFER_BYTES = 16 * 1024;

/** The summary of a stream's events that the tests compare. */
const summary = (events: StreamedEvent[]) =>
  events.map((e) => ({ event: e.event, type: e.data.type, status: e.data.status }));

/**
 * Task events as Server-Sent Events (README, "Following a task"): a task's stream from its first
 * event to its terminal one, the firehose of a user's tasks, resuming with Last-Event-ID on
 * another api process, keep-alive comments, a client that does not read cut off, and the metrics.
 */
describe('task event streams', () => {
  let iso: IsolatedEnv;
  let t: TestApp;
  let base: string;
  let alice: RegisteredUser;
  let bob: RegisteredUser;
  let agent: TestAgent;
  let log: TaskEventsService;
  const open: EventStreamClient[] = [];
  const { finished, status } = taskReads(
    () => t,
    () => alice,
  );

  const submit = async (body: Record<string, unknown>, as = alice) =>
    (
      await request(t.http)
        .post('/api/v1/tasks')
        .auth(as.accessToken, bearer)
        .send({ name: 'streamed', taskType: 'streamed', ...body })
        .expect(201)
    ).body as TaskView;
  const follow = async (
    path: string,
    as: RegisteredUser | string = alice,
    headers: Record<string, string> = {},
    at = base,
  ) => {
    const token = typeof as === 'string' ? as : as.accessToken;
    const client = await EventStreamClient.open(`${at}${path}`, token, headers);
    open.push(client);
    return client;
  };
  /** Every stored event of alice's after `after` (the log the streams must reproduce). */
  const stored = async (after: number) =>
    (await log.after(alice.id, after, Number.MAX_SAFE_INTEGER, 10_000)).map((e) => e.id);

  beforeAll(async () => {
    iso = await isolatedEnv('task-events');
    t = await startApp({
      ...iso.env,
      AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1',
      TASK_BACKOFF_BASE_MS: '50',
      TASK_EVENTS_KEEPALIVE_MS: String(KEEPALIVE_MS),
    });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.http.address() as AddressInfo).port}`;
    log = new TaskEventsService(t.dataSource);
    alice = await registerUser(t);
    bob = await registerUser(t);
    agent = await TestAgent.start();
    agent.apiBaseUrl = base;
    await registerTestAgent(t, alice, agent, { capabilities: ['streamed', 'other'] });
  });

  afterEach(() => {
    for (const client of open.splice(0)) client.close();
  });

  afterAll(async () => {
    await t?.close();
    await agent?.stop();
    await iso?.drop();
  });

  describe("a task's stream", () => {
    it('sends every event from the first, live ones included, and ends after the terminal one', async () => {
      const task = await submit({ parameters: { behaviour: 'hold' } });
      const stream = await follow(`/api/v1/tasks/${task.id}/events`);
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toBe('text/event-stream');
      expect(stream.headers['cache-control']).toBe('no-cache');
      expect(stream.headers['x-accel-buffering']).toBe('no');
      await stream.event((e) => e.event === 'task.started', 'task.started');
      expect(stream.ended).toBe(false);
      agent.release(task.id);
      await stream.end();

      expect(stream.retry).toBe(1000);
      expect(summary(stream.events)).toEqual([
        { event: 'task.created', type: 'task.created', status: 'pending' },
        { event: 'task.started', type: 'task.started', status: 'in_progress' },
        { event: 'task.completed', type: 'task.completed', status: 'completed' },
      ]);
      const [created, started, completed] = stream.events;
      expect(created.data).toEqual({
        taskId: task.id,
        type: 'task.created',
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
        status: 'pending',
        data: { name: 'streamed', taskType: 'streamed', priority: 'normal', runAt: null },
      });
      expect(started.data).toMatchObject({ attempt: 1, data: { agentId: expect.any(String) } });
      expect(completed.data).toMatchObject({
        attempt: 1,
        data: { result: (await finished(task.id)).result },
      });
      expect(stream.events.map((e) => e.id)).toEqual(
        (await log.after(alice.id, 0, Number.MAX_SAFE_INTEGER, 1000, { taskId: task.id })).map(
          (e) => e.id,
        ),
      );
    });

    it('follows retries, progress and the failure of a task opened after it finished', async () => {
      const task = await submit({
        parameters: { behaviour: 'accept-error', progress: true, detail: 'nope' },
        maxAttempts: 2,
      });
      await status(task.id, 'failed');
      const stream = await follow(`/api/v1/tasks/${task.id}/events`);
      await stream.end();
      expect(stream.events.map((e) => e.event)).toEqual([
        'task.created',
        'task.started',
        'task.progress',
        'task.retrying',
        'task.started',
        'task.progress',
        'task.failed',
      ]);
      expect(stream.events[2].data.data).toMatchObject({ message: 'half way', percent: 50 });

      // Resumed after its second event: the rest, then the end.
      const resumed = await follow(`/api/v1/tasks/${task.id}/events`, alice, {
        'Last-Event-ID': String(stream.events[1].id),
      });
      await resumed.end();
      expect(resumed.events).toEqual(stream.events.slice(2));

      // Everything seen: 204, which stops EventSource from reconnecting.
      const done = await follow(`/api/v1/tasks/${task.id}/events?lastEventId=${stream.lastId}`);
      expect(done.status).toBe(204);
    });

    it('is the task owner’s or an admin’s: 404 for anyone else, 400 for a bad id', async () => {
      const task = await submit({ parameters: { behaviour: 'succeed' } });
      await finished(task.id);
      const refused = await request(t.http)
        .get(`/api/v1/tasks/${task.id}/events`)
        .auth(bob.accessToken, bearer);
      expectProblem(refused, 404);
      expect(refused.body.type).toBe('urn:ymera:problem:task-not-found');

      const admin = await registerAdmin(t);
      const asAdmin = await follow(`/api/v1/tasks/${task.id}/events`, admin);
      await asAdmin.end();
      expect(asAdmin.events.map((e) => e.event)).toEqual([
        'task.created',
        'task.started',
        'task.completed',
      ]);

      for (const lastEventId of ['abc', '-1', '1.5', '1234567890123456']) {
        const bad = await request(t.http)
          .get(`/api/v1/tasks/${task.id}/events`)
          .set('Last-Event-ID', lastEventId)
          .auth(alice.accessToken, bearer);
        expectProblem(bad, 400);
        expect(bad.body.type).toBe('urn:ymera:problem:invalid-last-event-id');
      }
      expectProblem(
        await request(t.http)
          .get('/api/v1/tasks/not-a-uuid/events')
          .auth(alice.accessToken, bearer),
        400,
      );
    });
  });

  describe('the firehose of your tasks', () => {
    it('starts with what happens next, narrowed by status and task type, yours only', async () => {
      const before = await submit({ parameters: { behaviour: 'succeed' } });
      await finished(before.id);

      const all = await follow('/api/v1/tasks/events');
      const other = await follow('/api/v1/tasks/events?taskType=other');
      const done = await follow('/api/v1/tasks/events?status=completed');
      expect([all.status, other.status, done.status]).toEqual([200, 200, 200]);

      const first = await submit({ parameters: { behaviour: 'succeed' } });
      const second = await submit({ taskType: 'other', parameters: { behaviour: 'succeed' } });
      const bobs = await submit({ parameters: { behaviour: 'succeed' } }, bob);
      await finished(first.id);
      await finished(second.id);

      await all.until(
        (c) => c.events.filter((e) => e.event === 'task.completed').length === 2,
        'two completions',
      );
      await other.event((e) => e.event === 'task.completed', 'completion');
      await done.until((c) => c.events.length === 2, 'two completions');

      const taskIds = (stream: EventStreamClient) => [
        ...new Set(stream.events.map((e) => e.data.taskId)),
      ];
      expect(taskIds(all).sort()).toEqual([first.id, second.id].sort());
      expect(all.events.map((e) => e.id)).toEqual(await stored(all.events[0].id - 1));
      expect(taskIds(other)).toEqual([second.id]);
      expect(other.events.map((e) => e.event)).toEqual([
        'task.created',
        'task.started',
        'task.completed',
      ]);
      expect(done.events.every((e) => e.data.status === 'completed')).toBe(true);
      expect(taskIds(done).sort()).toEqual([first.id, second.id].sort());
      expect(JSON.stringify(all.events)).not.toContain(bobs.id);
      expect(JSON.stringify(all.events)).not.toContain(before.id);
    });

    it('sends a keep-alive comment when nothing happens', async () => {
      const stream = await follow('/api/v1/tasks/events?taskType=never-submitted');
      await stream.until((c) => c.comments.length >= 2, 'two keep-alive comments');
      expect(stream.comments[0].trim()).toBe('keep-alive');
      expect(stream.events).toEqual([]);
    });

    it('takes an API key with tasks:read, and refuses one without it (403)', async () => {
      const key = async (scopes: string[]) =>
        (
          await request(t.http)
            .post('/api/v1/api-keys')
            .auth(alice.accessToken, bearer)
            .send({ name: `stream-${scopes.join('-')}`, scopes })
            .expect(201)
        ).body.key as string;
      const reader = await follow('/api/v1/tasks/events', await key(['tasks:read']));
      expect(reader.status).toBe(200);
      const refused = await request(t.http)
        .get('/api/v1/tasks/events')
        .auth(await key(['agents:read']), bearer);
      expectProblem(refused, 403);
    });
  });

  describe('answers for its caller as a request would', () => {
    it('ends when the account is disabled, and the reconnection is refused', async () => {
      const carol = await registerUser(t);
      const own = await follow('/api/v1/tasks/events', carol);
      const other = await follow('/api/v1/tasks/events', alice);
      await t.dataSource.query('UPDATE users SET is_active = false WHERE id = $1', [carol.id]);
      await own.end();
      expect(other.ended).toBe(false);
      const again = await request(t.http)
        .get('/api/v1/tasks/events')
        .auth(carol.accessToken, bearer);
      expectProblem(again, 401);
    });

    it('ends when its API key is revoked; a stream of the same user on an access token goes on', async () => {
      const created = (
        await request(t.http)
          .post('/api/v1/api-keys')
          .auth(alice.accessToken, bearer)
          .send({ name: 'revoked-stream', scopes: ['tasks:read'] })
          .expect(201)
      ).body as { id: string; key: string };
      const onKey = await follow('/api/v1/tasks/events', created.key);
      const onToken = await follow('/api/v1/tasks/events', alice);
      await request(t.http)
        .delete(`/api/v1/api-keys/${created.id}`)
        .auth(alice.accessToken, bearer)
        .expect(204);
      await onKey.end();
      expect(onToken.ended).toBe(false);
    });

    it('ends when the API key it was opened with expires', async () => {
      const created = (
        await request(t.http)
          .post('/api/v1/api-keys')
          .auth(alice.accessToken, bearer)
          .send({
            name: 'expiring-stream',
            scopes: ['tasks:read'],
            expiresAt: new Date(Date.now() + 3000).toISOString(),
          })
          .expect(201)
      ).body as { key: string };
      const onKey = await follow('/api/v1/tasks/events', created.key);
      await onKey.end();
      const again = await request(t.http).get('/api/v1/tasks/events').auth(created.key, bearer);
      expectProblem(again, 401);
    });
  });

  describe('on another api process', () => {
    let other: ListeningApp;

    beforeAll(async () => {
      other = await spawnListeningApp({ ...iso.env, APP_ROLE: 'api' });
    }, PROCESS_START_TIMEOUT_MS + 30_000);

    afterAll(async () => {
      expect(await other?.stop()).toEqual({ code: 0, signal: null });
    });

    it('resumes after Last-Event-ID with every later event, none twice, then live ones', async () => {
      const stream = await follow('/api/v1/tasks/events');
      const start = await log.lastId(alice.id);
      const early = await submit({ parameters: { behaviour: 'succeed' } });
      await stream.event((e) => e.event === 'task.started' && e.data.taskId === early.id, 'start');
      stream.close();
      const seen = [...stream.events];

      // Events the first stream missed: the rest of the first task's, and a second task.
      await finished(early.id);
      const missed = await submit({ parameters: { behaviour: 'succeed' } });
      await finished(missed.id);

      const resumed = await follow(
        '/api/v1/tasks/events',
        alice,
        {
          'Last-Event-ID': String(seen.at(-1)!.id),
        },
        other.url,
      );
      expect(resumed.status).toBe(200);
      const live = await submit({ parameters: { behaviour: 'succeed' } });
      await finished(live.id);
      await resumed.event((e) => e.event === 'task.completed' && e.data.taskId === live.id, 'live');

      const ids = [...seen, ...resumed.events].map((e) => e.id);
      expect(ids).toEqual(await stored(start));
      expect(new Set(ids).size).toBe(ids.length);
    });

    it(
      'keeps its streams through the readiness delay after SIGTERM, then ends them and exits',
      async () => {
        const stopping = await spawnListeningApp({
          ...iso.env,
          APP_ROLE: 'api',
          HEALTH_SHUTDOWN_DELAY_MS: '1500',
          TASK_EVENTS_KEEPALIVE_MS: String(KEEPALIVE_MS),
        });
        const stream = await follow('/api/v1/tasks/events', alice, {}, stopping.url);
        expect(stream.status).toBe(200);
        await stream.until((c) => c.comments.length > 0, 'a keep-alive');
        const stopped = stopping.stop();
        await waitFor(async () => (await fetch(`${stopping.url}/health`)).status === 503, {
          what: 'readiness to answer 503',
        });
        // Still served while load balancers take the process out of rotation.
        const before = stream.comments.length;
        await stream.until((c) => c.comments.length > before, 'a keep-alive while stopping');
        expect(stream.ended).toBe(false);
        await stream.end();
        expect(await stopped).toEqual({ code: 0, signal: null });
      },
      PROCESS_START_TIMEOUT_MS + 30_000,
    );
  });

  describe('a client that does not read', () => {
    let slow: TestApp;
    let port: number;

    beforeAll(async () => {
      slow = await startApp({
        ...iso.env,
        APP_ROLE: 'api',
        TASK_EVENTS_MAX_BUFFER_BYTES: String(TINY_BUFFER_BYTES),
      });
      await slow.app.listen(0, '127.0.0.1');
      port = (slow.http.address() as AddressInfo).port;
    });

    afterAll(() => slow?.close());

    const cutCount = async () => {
      const text = (await request(slow.http).get('/metrics').expect(200)).text;
      return Number(/^task_event_streams_cut_total (\d+)/m.exec(text)?.[1]);
    };

    it('is cut off once its unsent output passes the bound, and can resume', async () => {
      const cutBefore = await cutCount();
      const socket = connect(port, '127.0.0.1');
      socket.write(
        'GET /api/v1/tasks/events HTTP/1.1\r\nHost: localhost\r\n' +
          `Authorization: Bearer ${alice.accessToken}\r\n\r\n`,
      );
      // Reads nothing: what the server writes fills the kernel's buffers, then its own.
      socket.pause();
      let closed = false;
      socket.on('close', () => (closed = true));
      // Big results (256 KiB parameters, echoed) until the stream is cut.
      const text = 'x'.repeat(250_000);
      await waitFor(
        async () => {
          const task = await submit({ parameters: { behaviour: 'succeed', text } });
          await finished(task.id);
          return (await cutCount()) > cutBefore;
        },
        { timeoutMs: 120_000, intervalMs: 0, what: 'the stream to be cut' },
      );
      // Once read, what reached the socket ends: the server closed the connection.
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      socket.resume();
      await waitFor(() => closed, { what: 'the connection to close' });
      const answered = Buffer.concat(received).toString('utf8');
      expect(answered.startsWith('HTTP/1.1 200 OK')).toBe(true);
      expect(answered).toContain('event: task.completed');

      // Resumed after the first event it had: every later one.
      const first = Number(/^id: (\d+)$/m.exec(answered)![1]);
      const url = `http://127.0.0.1:${port}`;
      const resumed = await follow(
        '/api/v1/tasks/events',
        alice,
        { 'Last-Event-ID': String(first) },
        url,
      );
      const rest = await stored(first);
      await resumed.until((c) => c.lastId === rest.at(-1), 'every later event');
      expect(resumed.events.map((e) => e.id)).toEqual(rest);
    }, 180_000);
  });

  it('reports open streams, delivery lag and cut streams in /metrics', async () => {
    const stream = await follow('/api/v1/tasks/events');
    const task = await submit({ parameters: { behaviour: 'succeed' } });
    await stream.event((e) => e.event === 'task.completed' && e.data.taskId === task.id, 'done');
    const text = (await request(t.http).get('/metrics').expect(200)).text;
    expect(Number(/^task_event_streams (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/^task_event_delivery_lag_seconds_count (\d+)/m.exec(text)?.[1])).toBeGreaterThan(
      0,
    );
    expect(text).toMatch(/^task_event_streams_cut_total \d+/m);
    expect(text).toContain(
      'http_requests_total{method="GET",route="/api/v1/tasks/events",status="200"}',
    );
  });
});
