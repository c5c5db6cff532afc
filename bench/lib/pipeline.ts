import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BenchRun } from './harness';
import { ROOT } from './processes';

/**
 * The task pipeline benchmark (bench/tasks-pipeline.ts, `npm run bench:tasks`), run as it is, in a
 * process of its own; its figures are read from what it prints (the service runs in processes of
 * its own, started as the other workloads start it).
 */
export async function pipelineWorkload(run: BenchRun): Promise<void> {
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(ROOT, 'bench', 'tasks-pipeline.ts')],
    { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    process.stdout.write(chunk.toString().replace(/^/gm, '    '));
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const peaks = /service peak RSS: (.*)/.exec(output)?.[1].match(/\d+/g)?.map(Number) ?? [];
  const rate = /end to end: (\d+) tasks\/s/.exec(output);
  const latency = /latency: p50 ([\d.]+) ms, p99 ([\d.]+) ms/.exec(output);
  const bare = /bare Bull ceiling[^:]*: (\d+) jobs\/s/.exec(output);
  const database = /database ceiling[^:]*: (\d+) tasks\/s/.exec(output);
  if (code !== 0 || !rate) {
    run.add({ workload: 'task pipeline', note: `bench:tasks failed (exit ${code})` });
    run.target('pipeline >= 1,000 tasks/s', 'failed', false);
    return;
  }
  const tasksPerS = Number(rate[1]);
  run.add({
    workload: 'task pipeline, tasks/s end to end',
    rps: tasksPerS,
    p50: latency ? Number(latency[1]) : undefined,
    p99: latency ? Number(latency[2]) : undefined,
    peakRssMb: peaks.length ? Math.max(...peaks) : undefined,
    ratio: bare ? { of: 'bare Bull', value: tasksPerS / Number(bare[1]) } : undefined,
    note: 'latency = submit to completion; RSS = the service process',
  });
  if (bare) {
    run.add({ workload: 'ceiling: bare Bull, jobs/s', rps: Number(bare[1]), ceiling: true });
  }
  if (database) {
    run.add({
      workload: 'ceiling: repositories alone, tasks/s',
      rps: Number(database[1]),
      ceiling: true,
      note: "the service's statements for each task, nothing else",
    });
  }
  run.target(
    'pipeline >= 1,000 tasks/s',
    `${tasksPerS} tasks/s${database ? ` (PostgreSQL alone: ${database[1]})` : ''}`,
    tasksPerS >= 1000,
  );
}
