import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { QueueName } from '../src/queue/tasks.queue';
import { startApp, TestApp, uniqueIp } from './support/app';
import { registerUser, RegisteredUser } from './support/factories';
import { isolatedEnv, IsolatedEnv } from './support/isolated-database';
import { expectProblem } from './support/problem-details';
import { registerTestAgent, TestAgent, waitFor } from './support/test-agent';

const USER = 'ops';
const PASSWORD = `board-${randomUUID()}`;
const CHALLENGE = 'Basic realm="Ymera queues"';

/** What GET /admin/queues/api/queues answers (the part the tests read). */
interface BoardQueues {
  queues: { name: string; counts: Record<string, number> }[];
}

/** The page's own script and stylesheet URLs, resolved against its <base href>. */
function assetsOf(html: string): string[] {
  const base = /<base href="([^"]+)"/.exec(html)?.[1] ?? '/';
  return [...html.matchAll(/<(?:script[^>]*src|link[^>]*href)="(static\/[^"]+)"/g)].map(
    ([, path]) => new URL(path, new URL(base, 'http://app')).pathname,
  );
}

describe('Bull Board', () => {
  describe('with BULL_BOARD_USER and BULL_BOARD_PASSWORD', () => {
    let t: TestApp;
    let assets: string[];

    beforeAll(async () => {
      t = await startApp({ BULL_BOARD_USER: USER, BULL_BOARD_PASSWORD: PASSWORD });
      const page = await request(t.http).get('/admin/queues').auth(USER, PASSWORD).expect(200);
      assets = assetsOf(page.text);
    });

    afterAll(() => t.close());

    it('serves the board, its assets and its API with the credentials', async () => {
      const page = await request(t.http).get('/admin/queues').auth(USER, PASSWORD).expect(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toContain('<base href="/admin/queues/"');
      expect(assets.some((path) => path.endsWith('.js'))).toBe(true);
      expect(assets.some((path) => path.endsWith('.css'))).toBe(true);
      for (const asset of assets) {
        const response = await request(t.http).get(asset).auth(USER, PASSWORD);
        expect({ asset, status: response.status }).toEqual({ asset, status: 200 });
      }
      const api = await request(t.http)
        .get('/admin/queues/api/queues')
        .auth(USER, PASSWORD)
        .expect(200);
      expect((api.body as BoardQueues).queues.map((queue) => queue.name)).toEqual(['tasks']);
    });

    it('refuses the page, an asset and the API without credentials: 401 with a challenge', async () => {
      const paths = ['/admin/queues', '/admin/queues/', assets[0], '/admin/queues/api/queues'];
      for (const path of paths) {
        const response = await request(t.http).get(path);
        expectProblem(response, 401);
        expect({ path, challenge: response.headers['www-authenticate'] }).toEqual({
          path,
          challenge: CHALLENGE,
        });
      }
    });

    it('refuses the API actions (retry, clean, pause) without credentials', async () => {
      for (const path of [
        '/admin/queues/api/queues/tasks/retry/failed',
        '/admin/queues/api/queues/tasks/clean/failed',
        '/admin/queues/api/queues/tasks/pause',
      ]) {
        expectProblem(await request(t.http).put(path), 401);
      }
      const queue = t.app.get<Queue>(getQueueToken(QueueName.Tasks), { strict: false });
      expect(await queue.isPaused()).toBe(false);
    });

    it('takes its actions with the credentials whatever their body (the API 415 is /api only)', async () => {
      const queue = t.app.get<Queue>(getQueueToken(QueueName.Tasks), { strict: false });
      // A board action as a browser may send it: PUT with no JSON body, here even a text one.
      await request(t.http)
        .put('/admin/queues/api/queues/tasks/clean/failed')
        .auth(USER, PASSWORD)
        .set('Content-Type', 'text/plain')
        .send('x')
        .expect(200);
      await request(t.http)
        .put('/admin/queues/api/queues/tasks/clean/failed')
        .auth(USER, PASSWORD)
        .expect(200);
      expect(await queue.isPaused()).toBe(false);
    });

    it('refuses wrong credentials, a bearer token and a near-miss password', async () => {
      const api = () =>
        request(t.http).get('/admin/queues/api/queues').set('X-Forwarded-For', uniqueIp());
      const attempts = [
        api().auth(USER, 'wrong'),
        api().auth('admin', PASSWORD),
        api().auth(USER, `${PASSWORD}x`),
        api().auth(USER, PASSWORD.slice(0, -1)),
        api().set('Authorization', `Bearer ${PASSWORD}`),
      ];
      for (const response of await Promise.all(attempts)) {
        expectProblem(response, 401);
        expect(response.headers['www-authenticate']).toBe(CHALLENGE);
      }
    });

    it('limits wrong credentials per client like auth (429), on every instance, and no other client', async () => {
      const guesser = uniqueIp();
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) {
        const response = await request(t.http)
          .get('/admin/queues/api/queues')
          .set('X-Forwarded-For', guesser)
          .auth(USER, `guess-${i}`);
        statuses.push(response.status);
      }
      const limit = t.config.throttle.authLimit;
      expect(statuses.slice(0, limit)).toEqual(new Array<number>(limit).fill(401));
      expect(statuses.slice(limit)).toEqual(new Array<number>(30 - limit).fill(429));

      // The right password does not help while the window lasts, on this or another instance.
      const other = await startApp({ BULL_BOARD_USER: USER, BULL_BOARD_PASSWORD: PASSWORD });
      try {
        for (const app of [t, other]) {
          const limited = await request(app.http)
            .get('/admin/queues/api/queues')
            .set('X-Forwarded-For', guesser)
            .auth(USER, PASSWORD);
          expectProblem(limited, 429);
          expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
        }
      } finally {
        await other.close();
      }
      await request(t.http)
        .get('/admin/queues/api/queues')
        .set('X-Forwarded-For', uniqueIp())
        .auth(USER, PASSWORD)
        .expect(200);
    });

    it('shows the job counts of the tasks queue as Redis holds them', async () => {
      const queue = t.app.get<Queue>(getQueueToken(QueueName.Tasks), { strict: false });
      // A job no worker will take during the test: due in an hour, removed at the end.
      const job = await queue.add({ probe: randomUUID() }, { delay: 3_600_000 });
      try {
        const api = await request(t.http)
          .get('/admin/queues/api/queues?activeQueue=tasks&status=delayed')
          .auth(USER, PASSWORD)
          .expect(200);
        const tasks = (api.body as BoardQueues).queues.find((q) => q.name === 'tasks');
        expect(tasks?.counts.delayed).toBe(await queue.getDelayedCount());
        expect(tasks?.counts.delayed).toBeGreaterThanOrEqual(1);
      } finally {
        await job.remove();
      }
    });

    it('answers with the security headers of the app and without X-Powered-By', async () => {
      for (const response of [
        await request(t.http).get('/admin/queues').auth(USER, PASSWORD),
        await request(t.http).get('/admin/queues/api/queues'),
      ]) {
        expect(response.headers['content-security-policy']).toContain("script-src 'self'");
        expect(response.headers['x-content-type-options']).toBe('nosniff');
        expect(response.headers['x-powered-by']).toBeUndefined();
      }
    });

    it('is not mounted under the API prefix', async () => {
      expectProblem(await request(t.http).get('/api/admin/queues').auth(USER, PASSWORD), 404);
    });
  });

  /**
   * What the board shows of tasks' jobs agrees with the API: jobs named by task type, completed
   * ones kept, a failed one's reason the task's errorMessage without a stack, attempts numbered as
   * the task's. Its own database and queue, with a worker and an agent.
   */
  describe("tasks' jobs", () => {
    let iso: IsolatedEnv;
    let t: TestApp;
    let alice: RegisteredUser;
    let agent: TestAgent;

    interface BoardJob {
      id: string;
      name: string;
      attempts: number;
      failedReason?: string;
      stacktrace: string[];
    }

    async function submit(body: Record<string, unknown>): Promise<string> {
      const response = await request(t.http)
        .post('/api/v1/tasks')
        .auth(alice.accessToken, { type: 'bearer' })
        .send({ name: 'on the board', taskType: 'board-echo', ...body })
        .expect(201);
      return (response.body as { id: string }).id;
    }

    async function finished(id: string) {
      return waitFor(
        async () => {
          const response = await request(t.http)
            .get(`/api/v1/tasks/${id}`)
            .auth(alice.accessToken, { type: 'bearer' });
          const task = response.body as { status: string; attempts: number; errorMessage: string };
          return ['completed', 'failed'].includes(task.status) ? task : undefined;
        },
        { what: `task ${id} to finish` },
      );
    }

    async function attemptsOf(id: string): Promise<unknown[]> {
      const response = await request(t.http)
        .get(`/api/v1/tasks/${id}/attempts`)
        .auth(alice.accessToken, { type: 'bearer' })
        .expect(200);
      return (response.body as { items: unknown[] }).items;
    }

    /** The job as the board shows it, once it is in `state`. */
    function boardJob(id: string, state: string): Promise<BoardJob> {
      return waitFor(
        async () => {
          const response = await request(t.http)
            .get(`/admin/queues/api/queues/tasks/${id}`)
            .auth(USER, PASSWORD);
          const body = response.body as { job: BoardJob; status: string };
          return response.status === 200 && body.status === state ? body.job : undefined;
        },
        { what: `job ${id} to be ${state} on the board` },
      );
    }

    beforeAll(async () => {
      iso = await isolatedEnv('board');
      t = await startApp({
        ...iso.env,
        BULL_BOARD_USER: USER,
        BULL_BOARD_PASSWORD: PASSWORD,
        AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1',
        TASK_BACKOFF_BASE_MS: '50',
      });
      alice = await registerUser(t);
      agent = await TestAgent.start();
      await registerTestAgent(t, alice, agent, { capabilities: ['board-echo'] });
    });

    afterAll(async () => {
      await t?.close();
      await agent?.stop();
      await iso?.drop();
    });

    it('keeps a completed job, named by its task type, numbered as the task', async () => {
      const first = await submit({});
      expect(await finished(first)).toMatchObject({ status: 'completed', attempts: 1 });
      expect(await boardJob(first, 'completed')).toMatchObject({
        id: first,
        name: 'board-echo',
        attempts: 1,
      });

      const retried = await submit({ parameters: { behaviour: 'fail-transient-n', n: 2 } });
      expect(await finished(retried)).toMatchObject({ status: 'completed', attempts: 3 });
      expect((await boardJob(retried, 'completed')).attempts).toBe(
        (await attemptsOf(retried)).length,
      );
    });

    it("shows a failed job's reason as the task's errorMessage, without a stack", async () => {
      const down = await submit({
        parameters: { behaviour: 'fail-text', text: 'down for maintenance' },
        maxAttempts: 3,
      });
      const task = await finished(down);
      expect(task).toMatchObject({
        status: 'failed',
        attempts: 3,
        errorMessage: 'the agent answered HTTP 503: down for maintenance',
      });
      const job = await boardJob(down, 'failed');
      expect(job).toMatchObject({ name: 'board-echo', failedReason: task.errorMessage });
      expect(job.attempts).toBe((await attemptsOf(down)).length);
      expect(job.stacktrace).toEqual([]);

      const refused = await submit({
        parameters: { behaviour: 'fail-problem', detail: 'not a PDF' },
      });
      const failed = await finished(refused);
      const refusedJob = await boardJob(refused, 'failed');
      expect(refusedJob).toMatchObject({ failedReason: failed.errorMessage, attempts: 1 });
      expect(refusedJob.stacktrace).toEqual([]);
    });
  });

  it('is not mounted at all without credentials: /admin/queues is 404', async () => {
    const t = await startApp({ BULL_BOARD_USER: '', BULL_BOARD_PASSWORD: '' });
    try {
      expect(t.config.bullBoard).toEqual({ user: undefined, password: undefined });
      for (const path of ['/admin/queues', '/admin/queues/api/queues']) {
        expectProblem(await request(t.http).get(path).auth(USER, PASSWORD), 404);
      }
    } finally {
      await t.close();
    }
  });

  it('is not mounted in worker processes, which serve health and metrics only', async () => {
    const t = await startApp({
      APP_ROLE: 'worker',
      BULL_BOARD_USER: USER,
      BULL_BOARD_PASSWORD: PASSWORD,
    });
    try {
      expectProblem(await request(t.http).get('/admin/queues').auth(USER, PASSWORD), 404);
    } finally {
      await t.close();
    }
  });
});
