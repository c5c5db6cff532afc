import request from 'supertest';
import { loadConfig } from '../src/config/app-config';
import { shutdownBoundMs } from '../src/shutdown';
import { startApp, TestApp } from './support/app';
import { registerUser, RegisteredUser } from './support/factories';
import { isolatedEnv, IsolatedEnv } from './support/isolated-database';
import { EXIT_SLACK_MS, exitOf, PROCESS_START_TIMEOUT_MS, spawnApp } from './support/processes';
import { TcpProxy } from './support/tcp-proxy';
import { registerTestAgent, TestAgent, waitFor } from './support/test-agent';

/** README, "Health checks": readiness names a failed dependency within this long... */
const NAMED_WITHIN_MS = 5_000;
/** ...and answers 200 again within this long of the dependency answering, with no restart. */
const RECOVERED_WITHIN_MS = 10_000;

/** How long a worker process may take to stop after SIGTERM (src/shutdown.ts), on a busy machine. */
const STOP_BOUND_MS =
  shutdownBoundMs(loadConfig({ ...process.env, APP_ROLE: 'worker' }), 'SIGTERM') + EXIT_SLACK_MS;

type Dependency = 'database' | 'redis' | 'queue';

interface Readiness {
  status: string;
  info?: Record<string, { status: string }>;
  error?: Record<string, { status: string; message?: string }>;
}

interface TaskView {
  id: string;
  status: string;
  attempts: number;
}

/**
 * README, "Health checks" and "Shutdown": PostgreSQL and Redis reached through TCP proxies of the
 * test's own (test/support/tcp-proxy.ts) that stall, reset and refuse, while the real servers,
 * shared with every other run, are left alone. The service is an api process and a worker, both in
 * this process, then a worker as a real child process for SIGTERM.
 */
describe('faults between the service and PostgreSQL or Redis', () => {
  let iso: IsolatedEnv;
  let redis: TcpProxy;
  let postgres: TcpProxy;
  let env: Record<string, string>;
  let api: TestApp;
  let alice: RegisteredUser;
  let agent: TestAgent;

  async function submit(body: Record<string, unknown> = {}): Promise<TaskView> {
    const response = await request(api.http)
      .post('/api/v1/tasks')
      .auth(alice.accessToken, { type: 'bearer' })
      .send({ name: 'through faults', taskType: 'faults', ...body })
      .expect(201);
    return response.body as TaskView;
  }

  function waitForStatus(id: string, status: string, timeoutMs = 30_000): Promise<TaskView> {
    return waitFor(
      async () => {
        const response = await request(api.http)
          .get(`/api/v1/tasks/${id}`)
          .auth(alice.accessToken, { type: 'bearer' })
          .expect(200);
        const task = response.body as TaskView;
        return task.status === status ? task : undefined;
      },
      { timeoutMs, what: `task ${id} to be ${status}` },
    );
  }

  async function readiness(): Promise<{ status: number; body: Readiness }> {
    const response = await request(api.http).get('/health');
    return { status: response.status, body: response.body as Readiness };
  }

  /** The first 503 that names every one of `failed` as down, within NAMED_WITHIN_MS. */
  function waitForDown(failed: Dependency[]): Promise<Readiness> {
    return waitFor(
      async () => {
        const { status, body } = await readiness();
        const named = failed.every((name) => body.error?.[name]?.status === 'down');
        return status === 503 && named ? body : undefined;
      },
      { timeoutMs: NAMED_WITHIN_MS, what: `readiness to name ${failed.join(' and ')}` },
    );
  }

  function waitForReady(): Promise<Readiness> {
    return waitFor(
      async () => {
        const { status, body } = await readiness();
        return status === 200 ? body : undefined;
      },
      { timeoutMs: RECOVERED_WITHIN_MS, what: 'readiness to answer 200 again' },
    );
  }

  beforeAll(async () => {
    iso = await isolatedEnv('faults');
    redis = await TcpProxy.start(process.env.REDIS_URL!);
    postgres = await TcpProxy.start(iso.env.DATABASE_URL);
    env = {
      ...iso.env,
      REDIS_URL: redis.through(process.env.REDIS_URL!),
      DATABASE_URL: postgres.through(iso.env.DATABASE_URL),
      AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1',
      // A task whose job Redis never took is queued again soon after Redis is back.
      TASK_RECONCILE_INTERVAL_MS: '500',
      // The test agent sends one heartbeat; it must stay active for the whole spec.
      AGENT_HEARTBEAT_TTL_S: '3600',
    };
    api = await startApp({ ...env, APP_ROLE: 'api' });
    alice = await registerUser(api);
    agent = await TestAgent.start();
    await registerTestAgent(api, alice, agent, { capabilities: ['faults'], maxConcurrency: 50 });
  });

  afterEach(async () => {
    await redis?.restore();
    await postgres?.restore();
  });

  afterAll(async () => {
    await api?.close();
    await agent?.stop();
    await redis?.close();
    await postgres?.close();
    await iso?.drop();
  });

  describe('readiness and recovery, with no restart', () => {
    let worker: TestApp;

    beforeAll(async () => {
      worker = await startApp({ ...env, APP_ROLE: 'worker' });
    });

    afterAll(() => worker?.close());

    it('names redis and the queue while Redis is stalled, accepts tasks meanwhile, and recovers once it answers', async () => {
      await waitForReady();
      redis.stall();
      const down = await waitForDown(['redis', 'queue']);
      expect(down.info).toMatchObject({ database: { status: 'up' } });
      const task = await submit();

      await redis.restore();
      await waitForReady();
      expect(await waitForStatus(task.id, 'completed')).toMatchObject({ attempts: 1 });
    });

    it('recovers the queue when Redis drops connections it had accepted without answering', async () => {
      await waitForReady();
      // Every connection drops, and the reconnections land on a Redis that accepts them silently.
      redis.stall();
      redis.reset();
      await waitForDown(['redis', 'queue']);
      await waitFor(() => redis.connections > 0, { what: 'the service to reconnect' });
      // Those are dropped too, mid-handshake: this used to leave the queue's connection "ready"
      // over a dead socket, and the queue down until a restart.
      redis.reset();
      await redis.restore();

      await waitForReady();
      const task = await submit();
      expect(await waitForStatus(task.id, 'completed')).toMatchObject({ attempts: 1 });
    });

    it('names redis and the queue while Redis refuses connections, accepts tasks meanwhile, and recovers once it is back', async () => {
      await waitForReady();
      await redis.refuse();
      const down = await waitForDown(['redis', 'queue']);
      expect(down.info).toMatchObject({ database: { status: 'up' } });
      const task = await submit();

      await redis.restore();
      await waitForReady();
      expect(await waitForStatus(task.id, 'completed')).toMatchObject({ attempts: 1 });
    });

    it('names the database while PostgreSQL is stalled, and recovers once it answers', async () => {
      await waitForReady();
      postgres.stall();
      const down = await waitForDown(['database']);
      expect(down.info).toMatchObject({ redis: { status: 'up' }, queue: { status: 'up' } });

      await postgres.restore();
      await waitForReady();
      const task = await submit();
      expect(await waitForStatus(task.id, 'completed')).toMatchObject({ attempts: 1 });
    });

    it('names the database while PostgreSQL drops and refuses connections, and recovers once it is back', async () => {
      await waitForReady();
      await postgres.refuse();
      const down = await waitForDown(['database']);
      expect(down.info).toMatchObject({ redis: { status: 'up' }, queue: { status: 'up' } });

      await postgres.restore();
      await waitForReady();
      const task = await submit();
      expect(await waitForStatus(task.id, 'completed')).toMatchObject({ attempts: 1 });
    });
  });

  it(
    'exits 0 within its bound when a worker process is asked to stop (SIGTERM) while Redis is stalled',
    async () => {
      // The only worker of this spec's queue: the dispatch below is this process's.
      const child = spawnApp({ ...env, APP_ROLE: 'worker' });
      try {
        const task = await submit({ parameters: { behaviour: 'slow', ms: 1000 } });
        await agent.waitForRequest((r) => r.body?.taskId === task.id, PROCESS_START_TIMEOUT_MS);
        redis.stall();
        child.kill('SIGTERM');
        expect(await exitOf(child, STOP_BOUND_MS)).toEqual({ code: 0, signal: null });

        await redis.restore();
        // The dispatch under way was finished and recorded by the stopping worker.
        expect(await waitForStatus(task.id, 'completed')).toMatchObject({ attempts: 1 });
        expect(agent.requestsFor(task.id)).toHaveLength(1);
      } finally {
        child.kill('SIGKILL');
      }
    },
    PROCESS_START_TIMEOUT_MS + STOP_BOUND_MS + 30_000,
  );
});
