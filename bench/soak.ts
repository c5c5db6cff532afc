/**
 * Soak (`npm run bench:soak`): 10 minutes of mixed load on the built service (APP_ROLE=all) at 32
 * connections: task lists, task creation (dispatched meanwhile to the loopback no-op agent) and
 * health probes, in the proportions 6:3:1. Resident memory is sampled every second; the service
 * passes when its RSS at the end is within 10% of its RSS after the first minute (no growth: no
 * leak, no unbounded cache), and its peak stays under 200 MB.
 *
 *   npm run bench:soak                       10 minutes
 *   BENCH_SOAK_S=120 npm run bench:soak      shorter
 */
import autocannon from 'autocannon';
import { benchMain, SMALL_OWNER, WRITER } from './lib/harness';
import { cpuSeconds, PeakRss, rssMb } from './lib/processes';
import { settings } from './lib/settings';
import { RSS_LIMIT_MB } from './lib/workloads';

const SOAK_S = Number(process.env.BENCH_SOAK_S ?? 600);
/** Access tokens live 15 minutes: the load runs in one-minute rounds, each with fresh tokens. */
const ROUND_S = 60;

void benchMain({}, async (run) => {
  const pid = run.service.process.pid!;
  const rounds = Math.max(1, Math.ceil(SOAK_S / ROUND_S));
  console.log(
    `Soak: ${rounds} x ${ROUND_S} s of mixed load at ${settings.connections} connections (list 6 : create 3 : health 1)`,
  );
  console.log('minute  req/s  p50 ms  p99 ms  errors  RSS MB  peak MB  CPU %');
  const samples: number[] = [];
  const peak = new PeakRss(pid);
  const sampler = setInterval(() => samples.push(rssMb(pid) ?? 0), 1000);
  let afterFirstMinute = 0;
  let cpuBefore = cpuSeconds(pid);
  try {
    for (let round = 1; round <= rounds; round += 1) {
      const reader = `Bearer ${await run.service.login(SMALL_OWNER)}`;
      const writer = `Bearer ${await run.service.login(WRITER)}`;
      const list = {
        method: 'GET' as const,
        path: '/api/v1/tasks?limit=100',
        headers: { authorization: reader },
      };
      const create = {
        method: 'POST' as const,
        path: '/api/v1/tasks',
        headers: { authorization: writer, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'soak', taskType: 'noop', parameters: { round } }),
      };
      const health = { method: 'GET' as const, path: '/health' };
      const result = await autocannon({
        url: run.service.base,
        connections: settings.connections,
        duration: Math.min(ROUND_S, SOAK_S - (round - 1) * ROUND_S),
        requests: [list, create, list, create, list, health, list, create, list, list],
      });
      const cpuNow = cpuSeconds(pid);
      const cpuPercent = (100 * (cpuNow - cpuBefore)) / result.duration;
      cpuBefore = cpuNow;
      const rss = rssMb(pid) ?? 0;
      if (round === 1) afterFirstMinute = rss;
      const errors = result.errors + result.non2xx;
      console.log(
        [
          String(round).padStart(6),
          (result.requests.total / result.duration).toFixed(0).padStart(5),
          result.latency.p50.toFixed(0).padStart(6),
          result.latency.p99.toFixed(0).padStart(6),
          String(errors).padStart(6),
          rss.toFixed(0).padStart(6),
          Math.max(...samples, rss)
            .toFixed(0)
            .padStart(7),
          cpuPercent.toFixed(0).padStart(5),
        ].join('  '),
      );
    }
  } finally {
    clearInterval(sampler);
  }
  const end = rssMb(pid) ?? 0;
  const highest = peak.stop();
  const drift = afterFirstMinute ? (end - afterFirstMinute) / afterFirstMinute : 0;
  run.add({
    workload: `soak, ${rounds} min mixed load`,
    peakRssMb: highest,
    note: `RSS after 1 min ${afterFirstMinute.toFixed(0)} MB, at the end ${end.toFixed(0)} MB (${(100 * drift).toFixed(1)}%)`,
  });
  run.target(
    'soak: RSS at end within 10% of 1 min',
    `${(100 * drift).toFixed(1)}%`,
    Math.abs(drift) <= 0.1,
  );
  run.target(
    `soak: peak RSS <= ${RSS_LIMIT_MB} MB`,
    `${highest.toFixed(0)} MB`,
    highest <= RSS_LIMIT_MB,
  );
});
