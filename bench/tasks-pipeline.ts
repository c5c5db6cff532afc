/**
 * Task pipeline throughput: tasks submitted over HTTP, stored, queued, dispatched over signed HTTP
 * to a loopback no-op agent, and recorded as completed (with their audit rows), end to end; and, on
 * the same Redis, the ceiling of bare Bull (queue.add + a no-op processor) for the same N.
 *
 *   npm run bench:tasks                      2000 tasks
 *   npm run bench:tasks -- 5000              (or TASKS=5000)
 *   SUBMIT_CONCURRENCY=64 TASK_WORKER_CONCURRENCY=100 BENCH_TOPOLOGY=split npm run bench:tasks
 *
 * BENCH_PIPELINE_BACKLOG=10000: instead, the pipeline three times in the same service, without
 * tasks waiting for an agent, with that many (a capability no agent has), and without again (the
 * "waiting" workload of `npm run bench`); no ceilings.
 *
 * BENCH_PIPELINE_STREAMS=1000: instead, the pipeline four times in the same service (the "streams"
 * workload of `npm run bench`): without event streams; with that many open, as many users'
 * clients would hold them (GET /api/v1/tasks/events: BENCH_STREAMS_BUSY, 10, of the submitting
 * user, receiving every event, and the rest of 10 other users, whose tasks are quiet meanwhile);
 * with that many of the submitting user, every one receiving every event (the worst case: one
 * user's every event written to every stream); and without again. The rates, the event delivery
 * latency (an event's `at` to its receipt) and the service's peak RSS with the streams; no
 * ceilings.
 *
 * The service is the built one (`node dist/src/main.js`, production mode, as the other benchmarks
 * start it), in processes of its own: BENCH_TOPOLOGY=single (default) runs one APP_ROLE=all
 * process, split one APP_ROLE=api and one APP_ROLE=worker process, as a deployment would. This
 * process submits the tasks and is the agent. The database and Redis prefix are throwaway ones.
 */
import Bull from 'bull';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { Children, cpuSeconds as processCpuSeconds, PeakRss } from './lib/processes';
import { startService } from './lib/service';
import { settings } from './lib/settings';
import { OpenStreams, openStreams } from './lib/streams';
import { addWaitingBacklog, removeWaitingBacklog } from './lib/waiting';
import { DataSource } from 'typeorm';
import { loadConfig, loadDatabaseConfig } from '../src/config/app-config';
import { dataSourceOptions } from '../src/database/data-source-options';
import { ExecutionRepository } from '../src/execution/execution.repository';
import { bullRootOptions } from '../src/queue/queue.module';
import { PRIORITY_RANK, QueueName } from '../src/queue/tasks.queue';
import { CreateTaskDto } from '../src/tasks/dto/create-task.dto';
import { TasksRepository } from '../src/tasks/tasks.repository';
import { TaskEventsService } from '../src/execution/task-events.service';
import { uniqueName } from '../test/support/app';
import globalSetup from '../test/support/global-setup';
import globalTeardown from '../test/support/global-teardown';

const N = Number(process.argv[2] ?? process.env.TASKS ?? 2000);
const SUBMIT_CONCURRENCY = Number(process.env.SUBMIT_CONCURRENCY ?? 64);
const WORKER_CONCURRENCY = Number(process.env.TASK_WORKER_CONCURRENCY ?? 50);
const TOPOLOGY = process.env.BENCH_TOPOLOGY ?? 'single';
const BACKLOG = Number(process.env.BENCH_PIPELINE_BACKLOG ?? 0);
const STREAMS = Number(process.env.BENCH_PIPELINE_STREAMS ?? 0);
const BUSY_STREAMS = Math.min(STREAMS, Number(process.env.BENCH_STREAMS_BUSY ?? 10));
/** The other users whose clients hold the rest of the streams in the mixed run. */
const QUIET_USERS = 10;

const APP_ENV = {
  AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1',
  TASK_WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
  THROTTLE_DEFAULT_LIMIT: '10000000',
  THROTTLE_AUTH_LIMIT: '1000',
  AGENT_HEARTBEAT_TTL_S: '3600',
  DB_POOL_MAX: process.env.DB_POOL_MAX ?? '20',
  LOG_LEVEL: 'silent',
};

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: SUBMIT_CONCURRENCY });

function call(
  base: string,
  method: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const payload = body === undefined ? '' : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${base}${path}`,
      {
        method,
        agent: keepAlive,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          'x-forwarded-for': '10.99.0.1',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({
            status: res.statusCode ?? 0,
            body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The agent: answers every dispatch at once with a result, verifying nothing. */
async function startNoopAgent(): Promise<{
  url: string;
  server: http.Server;
  count: () => number;
}> {
  let received = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"result":{"ok":true}}');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/run`, server, count: () => received };
}

/** CPU seconds used so far by the processes whose command line matches (Linux; 0 elsewhere). */
function matchingCpuSeconds(pattern: string): number {
  let pids: string[];
  try {
    pids = execFileSync('pgrep', ['-f', pattern]).toString().trim().split('\n').filter(Boolean);
  } catch {
    return 0;
  }
  return pids.reduce((sum, pid) => sum + processCpuSeconds(Number(pid)), 0);
}

interface CpuSnapshot {
  postgres: number;
  redis: number;
  service: number;
  /** Per service process, in the order started (api, worker when split). */
  perService: number[];
  bench: number;
}

/**
 * CPU seconds of the backends serving this run's database (their process title names it): other
 * users of the same PostgreSQL are not counted, nor is its shared WAL writer.
 */
function postgresCpuSeconds(): number {
  return matchingCpuSeconds(
    `postgres: .* ${new URL(process.env.DATABASE_URL!).pathname.slice(1)} `,
  );
}

function cpuSnapshot(servicePids: number[]): CpuSnapshot {
  const own = process.cpuUsage();
  return {
    postgres: postgresCpuSeconds(),
    redis: matchingCpuSeconds('redis-server'),
    service: servicePids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0),
    perService: servicePids.map((pid) => processCpuSeconds(pid)),
    bench: (own.user + own.system) / 1e6,
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Runs `work` for 0..n-1 with at most `concurrency` in flight. */
async function pool(n: number, concurrency: number, work: (i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await work(next++);
    }),
  );
}

interface PipelineResult {
  seconds: number;
  latencies: number[];
}

async function runPipeline(
  base: string,
  token: string,
  completions: Bull.Queue,
): Promise<PipelineResult> {
  const submittedAt = new Map<string, number>();
  const latencies: number[] = [];
  let lastCompletion = 0;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const early = new Map<string, number>();
  const onCompleted = (jobId: string) => {
    const now = performance.now();
    const at = submittedAt.get(jobId);
    if (at === undefined) {
      early.set(jobId, now);
      return;
    }
    latencies.push(now - at);
    lastCompletion = now;
    if (latencies.length === N) resolveDone();
  };
  completions.on('global:completed', onCompleted);
  await completions.isReady();
  // Subscriptions are asynchronous: wait until the completion events are actually arriving.
  await new Promise((resolve) => setTimeout(resolve, 200));

  const started = performance.now();
  await pool(N, SUBMIT_CONCURRENCY, async (i) => {
    const before = performance.now();
    const response = await call(
      base,
      'POST',
      '/api/v1/tasks',
      { name: `bench-${i}`, taskType: 'noop', parameters: { i } },
      token,
    );
    if (response.status !== 201) throw new Error(`create answered ${response.status}`);
    const id = response.body.id as string;
    submittedAt.set(id, before);
    const finished = early.get(id);
    if (finished !== undefined) {
      latencies.push(finished - before);
      lastCompletion = Math.max(lastCompletion, finished);
      if (latencies.length === N) resolveDone();
    }
  });
  const submitted = performance.now();
  const timeout = setTimeout(() => resolveDone(), 120_000);
  await done;
  clearTimeout(timeout);
  completions.off('global:completed', onCompleted);
  if (latencies.length < N) throw new Error(`only ${latencies.length}/${N} tasks completed`);
  console.log(
    `  submitted ${N} in ${((submitted - started) / 1000).toFixed(2)} s (${Math.round(N / ((submitted - started) / 1000))}/s over HTTP)`,
  );
  return { seconds: (lastCompletion - started) / 1000, latencies };
}

/** The ceiling: bare Bull on the same Redis, same N, same concurrency, same job options. */
async function bareBull(prefix: string): Promise<number> {
  const config = loadConfig({ ...process.env, REDIS_KEY_PREFIX: `${prefix}-bare` });
  const queue = new Bull('bare', bullRootOptions(config).url!, bullRootOptions(config));
  let completed = 0;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  queue.on('completed', () => {
    completed += 1;
    if (completed === N) resolveDone();
  });
  void queue.process(WORKER_CONCURRENCY, async () => undefined);
  await queue.isReady();
  const started = performance.now();
  await pool(N, SUBMIT_CONCURRENCY, async () => {
    await queue.add(
      { taskId: randomUUID() },
      {
        jobId: randomUUID(),
        attempts: 3,
        priority: PRIORITY_RANK.normal,
        removeOnComplete: true,
        removeOnFail: false,
      },
    );
  });
  await done;
  const seconds = (performance.now() - started) / 1000;
  await queue.close();
  return N / seconds;
}

interface DatabaseCeiling {
  tasksPerS: number;
  /** CPU of this database's PostgreSQL backends per task. */
  postgresMs: number;
}

/**
 * The database's ceiling: what the service's repositories run for one task (TasksRepository.insert
 * with its task.create record; ExecutionRepository's routing candidates, the start of the attempt
 * and its end with the task.complete record), for N more tasks of the same owner and agent, over a
 * DataSource of the service's pool size with a task on every connection. No HTTP, no Redis, no
 * Nest: what PostgreSQL alone allows on this machine.
 */
async function barePg(ownerId: string, agentId: string): Promise<DatabaseCeiling> {
  const size = Number(APP_ENV.DB_POOL_MAX);
  const dataSource = await new DataSource(
    dataSourceOptions(loadDatabaseConfig({ ...process.env, DB_POOL_MAX: String(size) })),
  ).initialize();
  const events = new TaskEventsService(dataSource);
  const tasks = new TasksRepository(dataSource, events);
  const execution = new ExecutionRepository(dataSource, events);
  const client = { ipAddress: '10.99.0.1', userAgent: 'bench', requestId: null };
  try {
    // Every connection opened before the clock starts (statements are prepared on first use).
    await pool(size, size, async () => {
      await execution.candidates(ownerId, 'noop', null);
    });
    const cpuBefore = postgresCpuSeconds();
    const started = performance.now();
    await pool(N, size, async (i) => {
      const dto = Object.assign(new CreateTaskDto(), {
        name: `bare-${i}`,
        taskType: 'noop',
        parameters: { i },
      });
      const { task } = await tasks.insert(ownerId, dto, null, {
        ...client,
        requestId: randomUUID(),
      });
      await execution.candidates(ownerId, 'noop', null);
      const attemptId = randomUUID();
      await execution.start(task.id, agentId, attemptId, task.jobGeneration);
      await execution.finish(task.id, attemptId, {
        outcome: 'succeeded',
        httpStatus: 200,
        error: null,
        result: { ok: true },
      });
    });
    const seconds = (performance.now() - started) / 1000;
    return { tasksPerS: N / seconds, postgresMs: ((postgresCpuSeconds() - cpuBefore) * 1000) / N };
  } finally {
    await dataSource.destroy();
  }
}

/** The pipeline without tasks waiting for an agent, with BACKLOG of them, and without again. */
async function withBacklog(base: string, token: string, owner: string, completions: Bull.Queue) {
  const waiting = BACKLOG.toLocaleString('en');
  console.log(
    `Task pipeline: ${N} tasks, three times: without, with ${waiting} waiting tasks, without`,
  );
  const rate = async (label: string) => {
    const result = await runPipeline(base, token, completions);
    console.log(`  ${label}: ${(N / result.seconds).toFixed(0)} tasks/s end to end`);
  };
  const db = new Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
  try {
    await rate('without waiting tasks');
    await addWaitingBacklog(db, owner, BACKLOG);
    await rate(`with ${waiting} waiting tasks`);
    await removeWaitingBacklog(db, owner);
    await rate('without waiting tasks, again');
  } finally {
    await db.end();
  }
}

/**
 * The pipeline without event streams, with STREAMS open as many users' clients hold them
 * (BUSY_STREAMS of the submitting user), with STREAMS of the submitting user, and without again.
 */
async function withStreams(base: string, token: string, pid: number, completions: Bull.Queue) {
  console.log(
    `Task pipeline: ${N} tasks, four times: without, with ${STREAMS} streams of many users, with ${STREAMS} of the submitting user, without`,
  );
  const rate = async (label: string) => {
    const result = await runPipeline(base, token, completions);
    console.log(`  ${label}: ${(N / result.seconds).toFixed(0)} tasks/s end to end`);
  };
  /** The pipeline with these streams open; `busy` those of the submitting user. */
  const measured = async (label: string, busy: OpenStreams, others: OpenStreams[]) => {
    const peak = new PeakRss(pid);
    try {
      busy.take();
      await rate(`with ${label}`);
      // The last completions' events may still be on their way.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const lags = busy.take().sort((a, b) => a - b);
      const bytes = [busy, ...others].reduce((sum, streams) => sum + streams.bytes(), 0);
      console.log(
        `  event delivery with ${label}: p50 ${percentile(lags, 50).toFixed(1)} ms, p99 ${percentile(lags, 99).toFixed(1)} ms, max ${lags[lags.length - 1].toFixed(1)} ms (${lags.length} events of the sampled streams); ${(bytes / 1024 / 1024).toFixed(0)} MiB received by all`,
      );
      console.log(`  service peak RSS with ${label}: ${peak.stop().toFixed(0)} MB`);
    } finally {
      [busy, ...others].forEach((streams) => streams.close());
    }
  };
  const quietTokens: string[] = [];
  for (let i = 0; i < QUIET_USERS; i++) {
    const username = uniqueName('quiet');
    const registered = await call(base, 'POST', '/api/v1/auth/register', {
      username,
      email: `${username}@example.com`,
      password: 'correct horse battery staple',
    });
    quietTokens.push(registered.body.accessToken as string);
  }

  await rate('without streams');
  const quiet = STREAMS - BUSY_STREAMS;
  await measured(
    `${STREAMS} streams of many users`,
    await openStreams(base, token, BUSY_STREAMS),
    await Promise.all(
      quietTokens.map((quietToken, i) =>
        openStreams(
          base,
          quietToken,
          Math.floor(quiet / QUIET_USERS) + (i < quiet % QUIET_USERS ? 1 : 0),
        ),
      ),
    ),
  );
  await measured(`${STREAMS} streams of one user`, await openStreams(base, token, STREAMS), []);
  await rate('without streams, again');
}

async function main(): Promise<void> {
  await globalSetup();
  const agent = await startNoopAgent();
  const children = new Children();
  const shared = {
    ...APP_ENV,
    REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX!}-service`,
    JWT_SECRET: randomBytes(48).toString('base64'),
  };
  const completions = new Bull(
    QueueName.Tasks,
    bullRootOptions(loadConfig({ ...process.env, ...shared })).url!,
    bullRootOptions(loadConfig({ ...process.env, ...shared })),
  );
  const databaseUrl = process.env.DATABASE_URL!;
  const port = settings.basePort + 20;
  try {
    const services =
      TOPOLOGY === 'split'
        ? [
            await startService(children, databaseUrl, port, { ...shared, APP_ROLE: 'api' }),
            await startService(children, databaseUrl, port + 1, { ...shared, APP_ROLE: 'worker' }),
          ]
        : [await startService(children, databaseUrl, port, { ...shared, APP_ROLE: 'all' })];
    const base = services[0].base;
    const peaks = services.map((service) => new PeakRss(service.process.pid!));

    const username = uniqueName('bench');
    const registered = await call(base, 'POST', '/api/v1/auth/register', {
      username,
      email: `${username}@example.com`,
      password: 'correct horse battery staple',
    });
    const token = registered.body.accessToken as string;
    const created = await call(
      base,
      'POST',
      '/api/v1/agents',
      { name: 'noop', capabilities: ['noop'], endpointUrl: agent.url, maxConcurrency: 1000 },
      token,
    );
    if (created.status !== 201) throw new Error(`agent: ${JSON.stringify(created.body)}`);
    const agentId = created.body.id as string;
    const owner = created.body.ownerId as string;
    await call(base, 'POST', `/api/v1/agents/${agentId}/heartbeat`, {}, token);

    if (BACKLOG > 0) {
      await withBacklog(base, token, owner, completions);
      return;
    }
    if (STREAMS > 0) {
      await withStreams(base, token, services[0].process.pid!, completions);
      return;
    }
    console.log(
      `Task pipeline: ${N} tasks, ${SUBMIT_CONCURRENCY} concurrent submitters, worker concurrency ${WORKER_CONCURRENCY}, topology ${TOPOLOGY}`,
    );
    const pids = services.map((service) => service.process.pid!);
    const cpuBefore = cpuSnapshot(pids);
    const result = await runPipeline(base, token, completions);
    const cpuAfter = cpuSnapshot(pids);
    const peakRss = peaks.map((peak) => peak.stop());
    const sorted = [...result.latencies].sort((a, b) => a - b);
    const pipelineRate = N / result.seconds;
    console.log(
      `  end to end: ${pipelineRate.toFixed(0)} tasks/s (first submit to last completion ${result.seconds.toFixed(2)} s)`,
    );
    console.log(
      `  submit-to-complete latency: p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted[sorted.length - 1].toFixed(1)} ms`,
    );

    const split =
      TOPOLOGY === 'split'
        ? ` (api ${(((cpuAfter.perService[0] - cpuBefore.perService[0]) * 1000) / N).toFixed(2)} ms + worker ${(((cpuAfter.perService[1] - cpuBefore.perService[1]) * 1000) / N).toFixed(2)} ms)`
        : '';
    const perTask = (key: Exclude<keyof CpuSnapshot, 'perService'>) =>
      `${(((cpuAfter[key] - cpuBefore[key]) * 1000) / N).toFixed(2)} ms`;
    console.log(
      `  CPU per task: service (${TOPOLOGY === 'split' ? 'api + worker' : 'one process'}) ${perTask('service')}${split}, bench client + agent ${perTask('bench')}, postgres ${perTask('postgres')}, redis ${perTask('redis')}; the machine has ${availableParallelism()} cores`,
    );
    console.log(`  service peak RSS: ${peakRss.map((mb) => `${mb.toFixed(0)} MB`).join(', ')}`);

    const db = new Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    try {
      const { rows } = await db.query<{ status: string; count: number }>(
        `SELECT status, count(*)::int AS count FROM tasks GROUP BY status`,
      );
      const audit = await db.query<{ action: string; count: number }>(
        `SELECT action, count(*)::int AS count FROM audit_logs WHERE action LIKE 'task.%' GROUP BY action ORDER BY action`,
      );
      console.log(
        `  tasks: ${rows.map((r) => `${r.status} ${r.count}`).join(', ')}; audit: ${audit.rows.map((r) => `${r.action} ${r.count}`).join(', ')}; agent saw ${agent.count()} requests`,
      );
    } finally {
      await db.end();
    }

    // The ceilings run alone: the service's reconciler would otherwise take up the bare tasks.
    await children.stopAll();
    const ceiling = await bareBull(process.env.REDIS_KEY_PREFIX!);
    console.log(
      `  bare Bull ceiling (add + no-op processor, same Redis): ${ceiling.toFixed(0)} jobs/s`,
    );
    console.log(`  pipeline / bare Bull: ${((100 * pipelineRate) / ceiling).toFixed(0)}%`);
    const database = await barePg(owner, agentId);
    console.log(
      `  database ceiling (the service's repositories, 4 statements per task, pool of ${APP_ENV.DB_POOL_MAX}, no HTTP or Redis): ${database.tasksPerS.toFixed(0)} tasks/s, postgres ${database.postgresMs.toFixed(2)} ms CPU per task`,
    );
    console.log(
      `  pipeline / repositories alone: ${((100 * pipelineRate) / database.tasksPerS).toFixed(0)}%`,
    );
  } finally {
    await completions.close();
    await children.stopAll();
    agent.server.closeAllConnections();
    agent.server.close();
    keepAlive.destroy();
    await globalTeardown();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
