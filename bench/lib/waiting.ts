import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from 'pg';
import { withClient } from './database';
import { BenchRun, WRITER } from './harness';
import { ROOT } from './processes';
import { settings } from './settings';
import { LoadResult } from './load';
import { measureCreate } from './workloads';

/** The backlog's task type: no agent has it, so its tasks wait until their deadline (a day). */
export const BACKLOG_TASK_TYPE = 'bench-nobody-has-this';

/**
 * `count` tasks of `ownerId` waiting for an agent, as the worker leaves them when no agent has
 * their capability (README, "Task lifecycle"): pending, parked, no queue job. All priorities,
 * created a millisecond apart. Analysed afterwards, as autovacuum would soon.
 */
export async function addWaitingBacklog(
  client: Client,
  ownerId: string,
  count: number,
): Promise<void> {
  await client.query(
    `INSERT INTO tasks (owner_id, name, task_type, priority, status, waiting_since,
                        schedule_deadline, created_at, updated_at)
     SELECT $1, 'waiting ' || g, $2, (ARRAY['low', 'normal', 'high', 'critical'])[1 + g % 4],
            'pending', now(), now() + interval '1 day', now() - g * interval '1 millisecond', now()
       FROM generate_series(1, $3) g`,
    [ownerId, BACKLOG_TASK_TYPE, count],
  );
  await client.query('ANALYZE tasks');
}

export async function removeWaitingBacklog(client: Client, ownerId: string): Promise<void> {
  await client.query('DELETE FROM tasks WHERE owner_id = $1 AND task_type = $2', [
    ownerId,
    BACKLOG_TASK_TYPE,
  ]);
  await client.query('ANALYZE tasks');
}

const thousands = (n: number) => n.toLocaleString('en');

/*
 * What a backlog of BENCH_WAITING_BACKLOG (10,000) tasks waiting for an agent costs the rest:
 * POST /api/v1/tasks without it and with it (of the same owner, the writer), in the same service;
 * then the task pipeline (bench/tasks-pipeline.ts with the backlog setting) without, with, and
 * without it again, in one service of its own.
 */

/** POST /api/v1/tasks without the backlog, with it, and without it again. */
export async function waitingCreateWorkload(run: BenchRun): Promise<void> {
  const writer = run.user(WRITER);
  const token = await run.service.login(WRITER);
  const backlog = thousands(settings.waitingBacklog);
  const first = await measureCreate(run, token);
  await withClient(run.db.url, (client) =>
    addWaitingBacklog(client, writer.id, settings.waitingBacklog),
  );
  const waiting = await measureCreate(run, token);
  await withClient(run.db.url, (client) => removeWaitingBacklog(client, writer.id));
  const again = await measureCreate(run, token);
  const withoutRps = (first.ymera.rps + again.ymera.rps) / 2;
  const mean = (of: (result: LoadResult) => number) => (of(first.ymera) + of(again.ymera)) / 2;
  run.add({
    workload: 'POST tasks, no task waiting (two runs)',
    rps: withoutRps,
    cpuMs: mean((result) => result.cpuMsPerRequest ?? 0),
    pgCpuMs: mean((result) => result.pgCpuMsPerRequest ?? 0),
    note: `${first.ymera.rps.toFixed(0)} then ${again.ymera.rps.toFixed(0)} req/s`,
  });
  run.add({
    workload: `POST tasks, ${backlog} tasks waiting`,
    rps: waiting.ymera.rps,
    p50: waiting.ymera.p50,
    p99: waiting.ymera.p99,
    errors: waiting.ymera.errors,
    cpuMs: waiting.ymera.cpuMsPerRequest,
    pgCpuMs: waiting.ymera.pgCpuMsPerRequest,
    ratio: { of: 'no task waiting', value: waiting.ymera.rps / withoutRps },
    note: waiting.drained,
  });
}

/** The task pipeline without, with, and without again the backlog (after the service stopped). */
export async function waitingPipelineWorkload(run: BenchRun): Promise<void> {
  const backlog = thousands(settings.waitingBacklog);
  const output = await pipelineWithBacklog();
  const rate = (label: string) => Number(new RegExp(`${label}: (\\d+) tasks/s`).exec(output)?.[1]);
  const first = rate('without waiting tasks');
  const waiting = rate(`with ${backlog} waiting tasks`);
  const again = rate('without waiting tasks, again');
  if (!first || !waiting || !again) {
    run.add({ workload: 'task pipeline with waiting tasks', note: 'bench:tasks failed' });
    return;
  }
  run.add({ workload: 'task pipeline, no task waiting (two runs)', rps: (first + again) / 2 });
  run.add({
    workload: `task pipeline, ${backlog} tasks waiting`,
    rps: waiting,
    ratio: { of: 'no task waiting', value: (2 * waiting) / (first + again) },
    note: `tasks/s end to end; without: ${first} then ${again}`,
  });
}

async function pipelineWithBacklog(): Promise<string> {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(ROOT, 'bench', 'tasks-pipeline.ts')],
    {
      cwd: ROOT,
      env: { ...process.env, BENCH_PIPELINE_BACKLOG: String(settings.waitingBacklog) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    process.stdout.write(chunk.toString().replace(/^/gm, '    '));
  });
  await new Promise((resolve) => child.once('exit', resolve));
  return output;
}
