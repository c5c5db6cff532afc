import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { verifyWebhook, WebhookVerificationError } from '../sdk/webhooks';
import type { components } from '../sdk/generated/openapi';
import { startApp, TestApp } from './support/app';
import { registerUser, RegisteredUser } from './support/factories';
import { isolatedEnv, IsolatedEnv } from './support/isolated-database';
import { expectProblem } from './support/problem-details';
import {
  exitOf,
  EXIT_SLACK_MS,
  PROCESS_START_TIMEOUT_MS,
  spawnListeningApp,
} from './support/processes';
import { waitFor } from './support/test-agent';
import { WebhookReceiver } from './support/webhook-receiver';

type CreatedWebhook = components['schemas']['CreatedWebhookDto'];
type Delivery = components['schemas']['WebhookDeliveryDto'];

const bearer = { type: 'bearer' as const };

/**
 * Webhooks (README, "Webhooks") on the real stack: an api process, workers in this process or as
 * child processes, and a receiver on loopback. The spec has a database of its own: workers of
 * other specs' apps would otherwise fan out and send its deliveries with their own settings.
 */
describe('webhooks', () => {
  let iso: IsolatedEnv;
  let env: Record<string, string>;
  let api: TestApp;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    iso = await isolatedEnv('webhooks');
    env = {
      ...iso.env,
      AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1',
      WEBHOOK_BACKOFF_BASE_MS: '100',
      WEBHOOK_TIMEOUT_MS: '3000',
      WEBHOOK_LEASE_MS: '4000',
      WEBHOOK_SWEEP_INTERVAL_MS: '500',
    };
    api = await startApp({ ...env, APP_ROLE: 'api' });
    receiver = await WebhookReceiver.start();
  });

  afterAll(async () => {
    await api?.close();
    await receiver?.stop();
    await iso?.drop();
  });

  async function createWebhook(
    user: RegisteredUser,
    body: Record<string, unknown>,
  ): Promise<CreatedWebhook> {
    const response = await request(api.http)
      .post('/api/v1/webhooks')
      .auth(user.accessToken, bearer)
      .send(body)
      .expect(201);
    return response.body as CreatedWebhook;
  }

  async function deliveries(user: RegisteredUser, webhookId: string): Promise<Delivery[]> {
    const response = await request(api.http)
      .get(`/api/v1/webhooks/${webhookId}/deliveries`)
      .auth(user.accessToken, bearer)
      .expect(200);
    return (response.body as { items: Delivery[] }).items;
  }

  async function createTask(user: RegisteredUser): Promise<string> {
    const response = await request(api.http)
      .post('/api/v1/tasks')
      .auth(user.accessToken, bearer)
      .send({ name: 'watched', taskType: `no-agent-${randomUUID()}` })
      .expect(201);
    return (response.body as { id: string }).id;
  }

  async function taskAction(user: RegisteredUser, taskId: string, action: 'cancel' | 'retry') {
    await request(api.http)
      .post(`/api/v1/tasks/${taskId}/${action}`)
      .auth(user.accessToken, bearer)
      .expect(200);
  }

  describe('the API', () => {
    let alice: RegisteredUser;
    let bob: RegisteredUser;

    beforeAll(async () => {
      alice = await registerUser(api);
      bob = await registerUser(api);
    });

    it('creates a webhook with a Standard Webhooks secret shown once, lists and deletes it', async () => {
      const created = await createWebhook(alice, {
        url: receiver.url('crud'),
        events: ['task.completed', 'task.failed'],
        description: 'billing',
      });
      expect(created).toEqual({
        id: expect.any(String),
        url: receiver.url('crud'),
        events: ['task.completed', 'task.failed'],
        description: 'billing',
        createdAt: expect.any(String),
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]+=*$/),
      });
      const key = Buffer.from(created.secret.slice('whsec_'.length), 'base64');
      expect(key.length).toBeGreaterThanOrEqual(24);

      const list = await request(api.http)
        .get('/api/v1/webhooks')
        .auth(alice.accessToken, bearer)
        .expect(200);
      const { secret, ...shown } = created;
      expect(list.body).toEqual({
        items: [shown],
        total: 1,
        skip: 0,
        limit: 100,
        nextCursor: null,
      });
      expect(JSON.stringify(list.body)).not.toContain(secret);

      await request(api.http)
        .delete(`/api/v1/webhooks/${created.id}`)
        .auth(alice.accessToken, bearer)
        .expect(204);
      const after = await request(api.http)
        .get('/api/v1/webhooks')
        .auth(alice.accessToken, bearer)
        .expect(200);
      expect(after.body).toMatchObject({ items: [], total: 0 });
      expectProblem(
        await request(api.http)
          .get(`/api/v1/webhooks/${created.id}/deliveries`)
          .auth(alice.accessToken, bearer),
        404,
      );

      const audit = await api.dataSource.query<{ action: string; details: object }[]>(
        `SELECT action, details FROM audit_logs WHERE resource_id = $1 ORDER BY timestamp`,
        [created.id],
      );
      expect(audit.map((row) => row.action)).toEqual(['webhook.create', 'webhook.delete']);
      expect(audit[0].details).toMatchObject({
        urlHost: new URL(receiver.url('crud')).host,
        events: ['task.completed', 'task.failed'],
      });
      expect(JSON.stringify(audit)).not.toContain(secret.slice('whsec_'.length));
    });

    it.each([
      ['an unknown event name', { url: 'https://93.184.215.14/x', events: ['task.exploded'] }],
      ['no event', { url: 'https://93.184.215.14/x', events: [] }],
      ['events that are not a list', { url: 'https://93.184.215.14/x', events: 'task.*' }],
      ['no url', { events: ['task.*'] }],
      ['an unknown property', { url: 'https://93.184.215.14/x', events: ['task.*'], secret: 'x' }],
      [
        'a description too long',
        { url: 'https://93.184.215.14/x', events: ['task.*'], description: 'x'.repeat(501) },
      ],
    ])('refuses %s with 400 validation-error', async (_case, body) => {
      const response = await request(api.http)
        .post('/api/v1/webhooks')
        .auth(alice.accessToken, bearer)
        .send(body);
      expectProblem(response, 400);
      expect(response.body.type).toBe('urn:ymera:problem:validation-error');
    });

    it.each([
      ['a cloud metadata address', 'http://169.254.169.254/latest/meta-data'],
      ['a private address not allow-listed', 'http://10.20.30.40:8080/hook'],
      ['a scheme other than http(s)', 'ftp://93.184.215.14/hook'],
      ['credentials in the URL', 'https://user:pass@93.184.215.14/hook'],
    ])(
      'refuses a url that is %s with 400 endpoint-refused (the SSRF policy)',
      async (_case, url) => {
        const response = await request(api.http)
          .post('/api/v1/webhooks')
          .auth(alice.accessToken, bearer)
          .send({ url, events: ['task.*'] });
        expectProblem(response, 400);
        expect(response.body.type).toBe('urn:ymera:problem:endpoint-refused');
        expect(response.body.detail).toMatch(/^url /);
      },
    );

    it("answers 404 for another user's webhook, exactly as for none", async () => {
      const mine = await createWebhook(alice, { url: receiver.url('alice'), events: ['task.*'] });
      for (const id of [mine.id, randomUUID()]) {
        const list = await request(api.http)
          .get(`/api/v1/webhooks/${id}/deliveries`)
          .auth(bob.accessToken, bearer);
        expectProblem(list, 404);
        expect(list.body.type).toBe('urn:ymera:problem:webhook-not-found');
        expectProblem(
          await request(api.http).delete(`/api/v1/webhooks/${id}`).auth(bob.accessToken, bearer),
          404,
        );
      }
      const bobs = await request(api.http)
        .get('/api/v1/webhooks')
        .auth(bob.accessToken, bearer)
        .expect(200);
      expect(bobs.body).toMatchObject({ items: [], total: 0 });
      // Still there for its owner.
      expect(await deliveries(alice, mine.id)).toEqual([]);
    });

    it('admits API keys with webhooks:read to read and webhooks:write to change, no other', async () => {
      const key = async (scopes: string[]) =>
        (
          await request(api.http)
            .post('/api/v1/api-keys')
            .auth(alice.accessToken, bearer)
            .send({ name: 'hooks', scopes })
            .expect(201)
        ).body.key as string;
      const reader = await key(['webhooks:read']);
      const writer = await key(['webhooks:write']);
      const tasks = await key(['tasks:read', 'tasks:write']);
      const body = { url: receiver.url('keys'), events: ['task.*'] };
      await request(api.http).get('/api/v1/webhooks').auth(reader, bearer).expect(200);
      expectProblem(
        await request(api.http).post('/api/v1/webhooks').auth(reader, bearer).send(body),
        403,
      );
      const created = await request(api.http)
        .post('/api/v1/webhooks')
        .auth(writer, bearer)
        .send(body)
        .expect(201);
      expectProblem(await request(api.http).get('/api/v1/webhooks').auth(writer, bearer), 403);
      expectProblem(await request(api.http).get('/api/v1/webhooks').auth(tasks, bearer), 403);
      await request(api.http)
        .delete(`/api/v1/webhooks/${(created.body as CreatedWebhook).id}`)
        .auth(writer, bearer)
        .expect(204);
    });
  });

  describe('deliveries', () => {
    let worker: TestApp;

    beforeAll(async () => {
      worker = await startApp({ ...env, APP_ROLE: 'worker' });
    });

    afterAll(async () => {
      await worker?.close();
    });

    it('retries a delivery answered 500 and delivers it, signed, with one webhook-id', async () => {
      const carol = await registerUser(api);
      const webhook = await createWebhook(carol, {
        url: receiver.url('retry'),
        events: ['task.created'],
      });
      receiver.answer = (delivery, earlier) =>
        delivery.path === '/retry' && earlier.length === 0 ? 500 : 200;
      const taskId = await createTask(carol);

      const first = await receiver.waitFor((d) => d.path === '/retry');
      const second = await receiver.waitFor((d) => d.path === '/retry' && d !== first);
      expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
      expect(second.raw).toBe(first.raw);

      const payload = verifyWebhook(webhook.secret, second.headers, second.raw);
      expect(payload).toEqual({
        type: 'task.created',
        timestamp: expect.any(String),
        data: {
          eventId: expect.any(Number),
          taskId,
          type: 'task.created',
          at: payload.timestamp,
          status: 'pending',
          data: expect.objectContaining({ name: 'watched', priority: 'normal' }),
        },
      });
      const other = (await createWebhook(carol, { url: receiver.url('other'), events: ['task.*'] }))
        .secret;
      expect(() => verifyWebhook(other, second.headers, second.raw)).toThrow(
        WebhookVerificationError,
      );

      const attempts = await waitFor(
        async () => {
          const items = await deliveries(carol, webhook.id);
          return items.length === 2 && items[0].status === 'succeeded' ? items : undefined;
        },
        { what: 'the second attempt to be recorded' },
      );
      expect(attempts).toEqual([
        {
          id: expect.any(String),
          event: 'task.created',
          eventId: payload.data.eventId,
          messageId: first.headers['webhook-id'],
          attempt: 2,
          status: 'succeeded',
          httpStatus: 200,
          error: null,
          createdAt: expect.any(String),
          deliveredAt: expect.any(String),
        },
        {
          id: expect.any(String),
          event: 'task.created',
          eventId: payload.data.eventId,
          messageId: first.headers['webhook-id'],
          attempt: 1,
          status: 'failed',
          httpStatus: 500,
          error: 'HTTP 500: ok',
          createdAt: expect.any(String),
          deliveredAt: null,
        },
      ]);
    });

    it('delivers only the events subscribed to, and only those after the creation', async () => {
      const dave = await registerUser(api);
      const cancelled = await createWebhook(dave, {
        url: receiver.url('cancelled'),
        events: ['task.cancelled'],
      });
      const all = await createWebhook(dave, { url: receiver.url('all'), events: ['task.*'] });
      const taskId = await createTask(dave);
      await taskAction(dave, taskId, 'cancel');
      await receiver.waitFor((d) => d.path === '/cancelled' && d.body.type === 'task.cancelled');
      await receiver.waitFor((d) => d.path === '/all' && d.body.type === 'task.cancelled');

      const later = await createWebhook(dave, { url: receiver.url('later'), events: ['task.*'] });
      await taskAction(dave, taskId, 'retry');
      await receiver.waitFor((d) => d.path === '/later' && d.body.type === 'task.retried');
      await receiver.waitFor((d) => d.path === '/all' && d.body.type === 'task.retried');

      // The fan-out passes events in id order, so an event before one delivered has been fanned
      // out by now: had it been subscribed, its delivery would be listed.
      const events = async (id: string) => (await deliveries(dave, id)).map((d) => d.event);
      expect(await events(cancelled.id)).toEqual(['task.cancelled']);
      expect((await events(all.id)).sort()).toEqual(
        ['task.cancelled', 'task.created', 'task.retried'].sort(),
      );
      expect(await events(later.id)).toEqual(['task.retried']);
      const types = (path: string) => receiver.at(path).map((d) => d.body.type);
      expect(types('cancelled')).toEqual(['task.cancelled']);
      expect(types('later')).toEqual(['task.retried']);
    });

    it('sends nothing more to a deleted webhook', async () => {
      const erin = await registerUser(api);
      const webhook = await createWebhook(erin, {
        url: receiver.url('deleted'),
        events: ['task.*'],
      });
      const witness = await createWebhook(erin, {
        url: receiver.url('witness'),
        events: ['task.*'],
      });
      await request(api.http)
        .delete(`/api/v1/webhooks/${webhook.id}`)
        .auth(erin.accessToken, bearer)
        .expect(204);
      const taskId = await createTask(erin);
      await receiver.waitFor((d) => d.path === '/witness' && d.body.data.taskId === taskId);
      expect(await deliveries(erin, witness.id)).toHaveLength(1);
      expect(receiver.at('deleted')).toEqual([]);
    });
  });

  it(
    'hands a delivery whose worker was killed mid-way to another worker after its lease',
    async () => {
      const frank = await registerUser(api);
      const webhook = await createWebhook(frank, {
        url: receiver.url('crash'),
        events: ['task.created'],
      });
      receiver.answer = (delivery, earlier) =>
        delivery.path === '/crash' && earlier.length === 0 ? 'hang' : 200;
      const first = await spawnListeningApp({ ...env, APP_ROLE: 'worker' });
      let taskId: string;
      try {
        taskId = await createTask(frank);
        await receiver.waitFor((d) => d.path === '/crash', PROCESS_START_TIMEOUT_MS);
      } finally {
        first.child.kill('SIGKILL');
      }
      expect(await exitOf(first.child, EXIT_SLACK_MS)).toEqual({ code: null, signal: 'SIGKILL' });
      const [claimed] = await deliveries(frank, webhook.id);
      expect(claimed).toMatchObject({ attempt: 1, status: 'pending' });

      const second = await startApp({ ...env, APP_ROLE: 'worker' });
      try {
        const again = await receiver.waitFor(
          (d) => d.path === '/crash' && receiver.at('crash').indexOf(d) === 1,
        );
        expect(again.headers['webhook-id']).toBe(receiver.at('crash')[0].headers['webhook-id']);
        expect(verifyWebhook(webhook.secret, again.headers, again.raw).data.taskId).toBe(taskId);
        const recorded = await waitFor(
          async () => {
            const items = await deliveries(frank, webhook.id);
            return items[0]?.status === 'succeeded' ? items : undefined;
          },
          { what: 'the delivery to be recorded' },
        );
        // The same attempt, sent again: the dead worker recorded nothing.
        expect(recorded).toEqual([
          expect.objectContaining({
            id: claimed.id,
            attempt: 1,
            status: 'succeeded',
            httpStatus: 200,
          }),
        ]);
      } finally {
        await second.close();
      }
    },
    PROCESS_START_TIMEOUT_MS + 60_000,
  );
});
