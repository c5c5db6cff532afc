import { getQueueToken } from '@nestjs/bull';
import type { Queue } from 'bull';
import { ChildProcess } from 'node:child_process';
import request from 'supertest';
import { loadConfig } from '../src/config/app-config';
import { AgentSlots } from '../src/execution/agent-slots';
import { INTERRUPTED } from '../src/execution/execution.repository';
import { REDIS } from '../src/redis/redis.module';
import { shutdownBoundMs } from '../src/shutdown';
import { startApp, TestApp } from './support/app';
import { registerUser, RegisteredUser } from './support/factories';
import { isolatedEnv, IsolatedEnv } from './support/isolated-database';
import { EXIT_SLACK_MS, exitOf, PROCESS_START_TIMEOUT_MS, spawnApp } from './support/processes';
import { deleteRedisKeys } from './support/redis-keys';
import { registerTestAgent, TestAgent, waitFor } from './support/test-agent';

/** How long a worker process may take to stop after SIGTERM (src/shutdown.ts), on a busy machine. */
const STOP_BOUND_MS =
  shutdownBoundMs(loadConfig({ ...process.env, APP_ROLE: 'worker' }), 'SIGTERM') + EXIT_SLACK_MS;

interface TaskView {
  id: string;
  status: string;
  attempts: number;
  [field: string]: unknown;
}

/**
 * "A task accepted with 201 is never lost" (README): Redis losing the jobs, Redis unreachable at
 * creation, a worker killed mid-dispatch, a worker asked to stop mid-dispatch. An API-only process
 * accepts the tasks; workers are started (in process, or as real child processes) per test.
 */
describe('task durability', () => {
  let iso: IsolatedEnv;
  let env: Record<string, string>;
  let api: TestApp;
  let alice: RegisteredUser;
  let agent: TestAgent;
  let agentId: string;

  async function submit(body: Record<string, unknown>, app: TestApp = api): Promise<TaskView> {
    const response = await request(app.http)
      .post('/api/v1/tasks')
      .auth(alice.accessToken, { type: 'bearer' })
      .send({ name: 'durable', taskType: 'durable', ...body })
      .expect(201);
    return response.body as TaskView;
  }

  async function getTask(id: string): Promise<TaskView> {
    const response = await request(api.http)
      .get(`/api/v1/tasks/${id}`)
      .auth(alice.accessToken, { type: 'bearer' })
      .expect(200);
    return response.body as TaskView;
  }

  async function attemptsOf(id: string) {
    const response = await request(api.http)
      .get(`/api/v1/tasks/${id}/attempts`)
      .auth(alice.accessToken, { type: 'bearer' })
      .expect(200);
    return (response.body as { items: { number: number; outcome: string; error: string }[] }).items;
  }

  function waitForStatus(id: string, status: string, timeoutMs = 30_000): Promise<TaskView> {
    return waitFor(
      async () => {
        const task = await getTask(id);
        return task.status === status ? task : undefined;
      },
      { timeoutMs, what: `task ${id} to be ${status}` },
    );
  }

  async function inFlight(): Promise<number> {
    const response = await request(api.http)
      .get(`/api/v1/agents/${agentId}`)
      .auth(alice.accessToken, { type: 'bearer' })
      .expect(200);
    return (response.body as { inFlight: number }).inFlight;
  }

  function queueOf(app: TestApp): Queue {
    return app.app.get<Queue>(getQueueToken('tasks'), { strict: false });
  }

  /** A worker in this process, as a deployment's APP_ROLE=worker would run. */
  function startWorker(): Promise<TestApp> {
    return startApp({ ...env, APP_ROLE: 'worker' });
  }

  /** A worker as a separate operating-system process: `node src/main.ts` with APP_ROLE=worker. */
  function spawnWorker(): ChildProcess {
    return spawnApp({ ...env, APP_ROLE: 'worker' });
  }

  /** How long a killed worker may take to be seen gone on a loaded machine. */
  const KILLED_EXIT_MS = EXIT_SLACK_MS;

  /** Deletes every key of this spec's queue: other runs and specs share this Redis. */
  async function flushQueue(): Promise<void> {
    await deleteRedisKeys(process.env.REDIS_URL!, `${env.REDIS_KEY_PREFIX}:tasks:*`);
  }

  beforeAll(async () => {
    iso = await isolatedEnv('durability');
    env = {
      ...iso.env,
      AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1',
      TASK_BACKOFF_BASE_MS: '100',
      TASK_RECONCILE_INTERVAL_MS: '300',
      // A dead worker's job is noticed about a second after its lock lapses.
      TASK_LOCK_DURATION_MS: '1000',
    };
    api = await startApp({ ...env, APP_ROLE: 'api' });
    alice = await registerUser(api);
    agent = await TestAgent.start();
    agentId = (
      await registerTestAgent(api, alice, agent, { capabilities: ['durable'], maxConcurrency: 50 })
    ).id;
  });

  afterAll(async () => {
    await api?.close();
    await agent?.stop();
    await iso?.drop();
  });

  /**
   * The attempt is recorded as interrupted (and retried), the second one succeeds, and the dead
   * worker's agent slot was given back.
   */
  async function expectRecoveredAfterInterruption(taskId: string): Promise<TaskView> {
    const done = await waitForStatus(taskId, 'completed');
    expect(done).toMatchObject({ attempts: 2 });
    const attempts = await attemptsOf(taskId);
    expect(attempts.map((a) => [a.number, a.outcome])).toEqual([
      [1, 'interrupted'],
      [2, 'succeeded'],
    ]);
    expect(attempts[0].error).toBe(INTERRUPTED);
    expect(await inFlight()).toBe(0);
    // The dead worker's slot in Redis too (the worker gives the second attempt's back just after
    // recording it).
    // Slots are the execution module's (workers); read them through the api process's Redis.
    const slots = new AgentSlots(api.app.get(REDIS));
    await waitFor(async () => ((await slots.taken(agentId)) === 0 ? true : undefined), {
      timeoutMs: 5_000,
      what: 'the agent slots to be given back',
    });
    return done;
  }

  it('runs no worker in an api process and serves no task route in a worker process', async () => {
    // Bull keeps a queue's processing handlers by job name; a queue nobody processes has none.
    const handlersOf = (app: TestApp) =>
      Object.keys((queueOf(app) as unknown as { handlers: object }).handlers);
    expect(handlersOf(api)).toEqual([]);
    const worker = await startWorker();
    try {
      expect(handlersOf(worker)).toEqual(['*']);
      await request(worker.http)
        .get('/api/v1/tasks')
        .auth(alice.accessToken, { type: 'bearer' })
        .expect(404);
      await request(worker.http).get('/health/live').expect(200);
    } finally {
      await worker.close();
    }
  });

  it('completes every accepted task after Redis lost all the queued jobs', async () => {
    const tasks = await Promise.all(
      Array.from({ length: 5 }, (_, i) => submit({ name: `flushed-${i}` })),
    );
    const queue = queueOf(api);
    for (const task of tasks) expect(await queue.getJob(task.id)).not.toBeNull();

    await flushQueue();
    for (const task of tasks) expect(await queue.getJob(task.id)).toBeNull();

    const worker = await startWorker();
    try {
      for (const task of tasks) {
        expect(await waitForStatus(task.id, 'completed')).toMatchObject({ attempts: 1 });
      }
    } finally {
      await worker.close();
    }
  });

  it('accepts a task while Redis is unreachable and completes it once a worker runs', async () => {
    const cutOff = await startApp({ ...env, APP_ROLE: 'api', REDIS_URL: 'redis://127.0.0.1:1/0' });
    let task: TaskView;
    try {
      task = await submit({ name: 'while Redis was down' }, cutOff);
      expect(task.status).toBe('pending');
    } finally {
      await cutOff.close();
    }
    expect(await queueOf(api).getJob(task.id)).toBeNull();

    const worker = await startWorker();
    try {
      expect(await waitForStatus(task.id, 'completed')).toMatchObject({ attempts: 1 });
    } finally {
      await worker.close();
    }
  });

  it(
    'retries, and completes, a task whose worker process was killed mid-dispatch',
    async () => {
      const child = spawnWorker();
      let task: TaskView;
      try {
        task = await submit({ parameters: { behaviour: 'hang-first' } });
        // The agent holds the first attempt's request: the worker is mid-dispatch.
        await agent.waitForRequest(
          (r) => r.body?.taskId === task.id && r.body.attempt === 1,
          PROCESS_START_TIMEOUT_MS,
        );
        expect((await getTask(task.id)).status).toBe('in_progress');
        expect(await inFlight()).toBe(1);
      } finally {
        child.kill('SIGKILL');
      }
      expect(await exitOf(child, KILLED_EXIT_MS)).toEqual({ code: null, signal: 'SIGKILL' });

      const worker = await startWorker();
      try {
        const done = await expectRecoveredAfterInterruption(task.id);
        expect(done).toMatchObject({ result: { attempt: 2 } });
      } finally {
        await worker.close();
      }
    },
    PROCESS_START_TIMEOUT_MS + 30_000,
  );

  it(
    'recovers a task whose worker process was killed and whose job Redis then lost',
    async () => {
      const child = spawnWorker();
      let task: TaskView;
      try {
        task = await submit({ parameters: { behaviour: 'hang-first' }, timeoutMs: 1000 });
        await agent.waitForRequest(
          (r) => r.body?.taskId === task.id && r.body.attempt === 1,
          PROCESS_START_TIMEOUT_MS,
        );
      } finally {
        child.kill('SIGKILL');
      }
      await exitOf(child, KILLED_EXIT_MS);
      // No job left for Bull's stalled-job check: only the reconciler knows the task is stuck.
      await flushQueue();
      expect(await queueOf(api).getJob(task.id)).toBeNull();
      expect((await getTask(task.id)).status).toBe('in_progress');

      const worker = await startWorker();
      try {
        await expectRecoveredAfterInterruption(task.id);
      } finally {
        await worker.close();
      }
    },
    PROCESS_START_TIMEOUT_MS + 30_000,
  );

  it(
    'lets the dispatch under way finish when a worker process is asked to stop (SIGTERM)',
    async () => {
      const child = spawnWorker();
      try {
        const task = await submit({ parameters: { behaviour: 'slow', ms: 1500 } });
        // The worker is up and mid-dispatch once the agent holds the request.
        await agent.waitForRequest((r) => r.body?.taskId === task.id, PROCESS_START_TIMEOUT_MS);
        child.kill('SIGTERM');
        // A clean drain exits 0.
        expect(await exitOf(child, STOP_BOUND_MS)).toEqual({ code: 0, signal: null });
        // Finished by the stopping worker itself: no other worker runs in this test.
        expect(await getTask(task.id)).toMatchObject({ status: 'completed', attempts: 1 });
        expect(agent.requestsFor(task.id)).toHaveLength(1);
      } finally {
        child.kill('SIGKILL');
      }
    },
    PROCESS_START_TIMEOUT_MS + STOP_BOUND_MS + 30_000,
  );
});
