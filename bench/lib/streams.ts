import { createParser } from 'eventsource-parser';
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import { join } from 'node:path';
import { BenchRun } from './harness';
import { ROOT } from './processes';

/** Streams whose events this process parses to time them; the others are only read. */
const SAMPLED = 20;

/** Open event streams of one user (GET /api/v1/tasks/events), read as fast as they come. */
export interface OpenStreams {
  /** Event `at` to receipt, in ms, of every event of the sampled streams since the last take(). */
  take(): number[];
  /** Bytes received by all streams. */
  bytes(): number;
  close(): void;
}

/**
 * Opens `count` firehose streams of the token's user, each on a connection of its own, resolved
 * once every one has answered 200. Every stream is read as it arrives (none is cut off); the first
 * SAMPLED are parsed with eventsource-parser and time each event from its `at` to its receipt.
 */
export async function openStreams(
  base: string,
  token: string,
  count: number,
): Promise<OpenStreams> {
  const requests: http.ClientRequest[] = [];
  let lags: number[] = [];
  let bytes = 0;
  const open = (sampled: boolean) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(`${base}/api/v1/tasks/events`, {
        agent: false,
        headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': '10.99.0.2' },
      });
      requests.push(req);
      req.on('error', reject);
      req.on('response', (res) => {
        if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
        const parser = sampled
          ? createParser({
              onEvent: (event) => {
                const at = Date.parse((JSON.parse(event.data) as { at: string }).at);
                lags.push(Date.now() - at);
              },
            })
          : undefined;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          bytes += chunk.length;
          parser?.feed(chunk);
        });
        res.on('error', () => undefined);
        resolve();
      });
      req.end();
    });
  for (let i = 0; i < count; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, count - i) }, (_, j) => open(i + j < SAMPLED)),
    );
  }
  return {
    take: () => {
      const taken = lags;
      lags = [];
      return taken;
    },
    bytes: () => bytes,
    close: () => requests.forEach((req) => req.destroy()),
  };
}

/**
 * The task pipeline without event streams, with BENCH_PIPELINE_STREAMS (1,000) of many users
 * open, with as many of its submitting user, and without again, on its one process
 * (bench/tasks-pipeline.ts); its figures are read from what it prints.
 */
export async function streamsPipelineWorkload(run: BenchRun): Promise<void> {
  const streams = Number(process.env.BENCH_PIPELINE_STREAMS || 1000);
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(ROOT, 'bench', 'tasks-pipeline.ts')],
    {
      cwd: ROOT,
      env: { ...process.env, BENCH_PIPELINE_STREAMS: String(streams) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    process.stdout.write(chunk.toString().replace(/^/gm, '    '));
  });
  await new Promise((resolve) => child.once('exit', resolve));
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const rate = (label: string) =>
    Number(new RegExp(`  ${escape(label)}: (\\d+) tasks/s`).exec(output)?.[1]);
  const first = rate('without streams');
  const again = rate('without streams, again');
  if (!first || !again) {
    run.add({ workload: 'task pipeline with event streams', note: 'bench:tasks failed' });
    return;
  }
  run.add({ workload: 'task pipeline, no event stream (two runs)', rps: (first + again) / 2 });
  for (const [label, note] of [
    [
      `${streams} streams of many users`,
      `of which ${process.env.BENCH_STREAMS_BUSY ?? 10} of the submitting user, the rest quiet`,
    ],
    [`${streams} streams of one user`, 'each receiving every event of the pipeline'],
  ]) {
    const streaming = rate(`with ${label}`);
    const delivery = new RegExp(
      `event delivery with ${escape(label)}: p50 ([\\d.]+) ms, p99 ([\\d.]+) ms`,
    ).exec(output);
    const rss = new RegExp(`service peak RSS with ${escape(label)}: (\\d+) MB`).exec(output);
    if (!streaming || !delivery) {
      run.add({ workload: `task pipeline, ${label}`, note: 'bench:tasks failed' });
      continue;
    }
    run.add({
      workload: `task pipeline, ${label}`,
      rps: streaming,
      p50: Number(delivery[1]),
      p99: Number(delivery[2]),
      peakRssMb: rss ? Number(rss[1]) : undefined,
      ratio: { of: 'no event stream', value: (2 * streaming) / (first + again) },
      note: `${note}; tasks/s end to end; latency = event at to receipt; without: ${first} then ${again}`,
    });
  }
}
