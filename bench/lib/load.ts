import autocannon from 'autocannon';
import { cpuSeconds, PeakRss, postgresCpuSeconds } from './processes';
import { settings } from './settings';

export interface LoadSpec {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Status every answer must have; anything else counts as an error. Default: any 2xx. */
  expectStatus?: number;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  /** Connection errors, timeouts and answers other than the expected status. */
  errors: number;
  requests: number;
  /** Peak resident memory of the measured process during warm-up and measurement, MB. */
  peakRssMb?: number;
  /** CPU milliseconds per request of the measured process, and of PostgreSQL (all backends). */
  cpuMsPerRequest?: number;
  pgCpuMsPerRequest?: number;
}

function run(spec: LoadSpec, durationS: number): Promise<autocannon.Result> {
  return autocannon({
    url: spec.url,
    method: spec.method ?? 'GET',
    headers: spec.headers,
    body: spec.body,
    connections: settings.connections,
    duration: durationS,
    timeout: 10,
  });
}

/**
 * Warm-up, then the measured window, at BENCH_CONNECTIONS (32) connections. autocannon keeps each
 * connection busy with one request at a time (no pipelining), as browsers and API clients do.
 */
export async function measure(spec: LoadSpec, pid?: number): Promise<LoadResult> {
  const rss = pid ? new PeakRss(pid) : undefined;
  let result: autocannon.Result;
  let peakRssMb: number | undefined;
  let cpu: number;
  let pgCpu: number;
  try {
    if (settings.warmupS > 0) await run(spec, settings.warmupS);
    const cpuBefore = pid ? cpuSeconds(pid) : 0;
    const pgBefore = postgresCpuSeconds();
    result = await run(spec, settings.durationS);
    cpu = pid ? cpuSeconds(pid) - cpuBefore : 0;
    pgCpu = postgresCpuSeconds() - pgBefore;
  } finally {
    peakRssMb = rss?.stop();
  }
  const expected = spec.expectStatus;
  const good = expected ? (result.statusCodeStats?.[`${expected}`]?.count ?? 0) : result['2xx'];
  const answered = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
  return {
    rps: answered / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + (answered - good),
    requests: answered,
    peakRssMb,
    cpuMsPerRequest: pid && answered ? (1000 * cpu) / answered : undefined,
    pgCpuMsPerRequest: answered ? (1000 * pgCpu) / answered : undefined,
  };
}
