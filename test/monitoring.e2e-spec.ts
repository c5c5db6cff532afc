import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startApp, TestApp } from './support/app';
import { scrapeWithEverySample } from './support/scrape';

const MONITORING = join(__dirname, '..', 'monitoring');

/** Runs promtool (Debian package `prometheus`; .ci/run installs it) in monitoring/. */
function promtool(args: string[], input?: string) {
  const run = spawnSync('promtool', args, { cwd: MONITORING, input, encoding: 'utf8' });
  if (run.error && 'code' in run.error && run.error.code === 'ENOENT') {
    throw new Error(
      'No promtool on the PATH: install it (apt-get install -y prometheus; .ci/run does) ' +
        'to run the monitoring checks.',
    );
  }
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** PromQL words in alerts.yml that are not metric names (functions, keywords, label names). */
const PROMQL_WORDS = new Set([
  ...'sum max by rate deriv absent histogram_quantile and'.split(' '),
  ...'job instance le status route queue state'.split(' '),
]);

/** Metrics the alerts use that the app does not export. */
const NOT_FROM_THE_APP = new Set([
  'up', // written by Prometheus for every target
]);

describe('monitoring', () => {
  let t: TestApp;
  let scrape: string;

  beforeAll(async () => {
    t = await startApp();
    scrape = await scrapeWithEverySample(t);
  });

  afterAll(() => t.close());

  it('has valid alert rules (promtool check rules)', () => {
    const check = promtool(['check', 'rules', 'alerts.yml']);
    expect(check.output).toContain('SUCCESS');
    expect(check.status).toBe(0);
  });

  it('has alert rules that fire as intended (promtool test rules)', () => {
    const test = promtool(['test', 'rules', 'alerts.test.yml']);
    expect(test.output).toContain('SUCCESS');
    expect(test.status).toBe(0);
  });

  it('has a valid Prometheus configuration (promtool check config)', () => {
    const check = promtool(['check', 'config', 'prometheus.yml']);
    expect(check.output).toContain('is valid prometheus config file syntax');
    expect(check.status).toBe(0);
  });

  it('serves metrics that pass promtool check metrics (format, names, help)', () => {
    for (const family of [
      'http_requests_total',
      'http_request_duration_seconds',
      'tasks_total',
      'task_dispatch_duration_seconds',
      'db_pool_connections',
      'bull_queue_jobs',
      'process_cpu_seconds_total',
    ]) {
      expect(scrape).toContain(`# TYPE ${family} `);
    }
    const check = promtool(['check', 'metrics'], scrape);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
  });

  it('alerts only on metrics the app serves', () => {
    const rules = readFileSync(join(MONITORING, 'alerts.yml'), 'utf8');
    const expressions = [...rules.matchAll(/expr: (?:\|\n)?((?:.+\n)+?)\s+for:/g)].map((m) => m[1]);
    expect(expressions.length).toBeGreaterThan(0);
    const words = new Set(
      expressions.flatMap((expr) =>
        [...expr.replace(/"[^"]*"|\[[^\]]*\]/g, '').matchAll(/[a-zA-Z_][a-zA-Z0-9_]*/g)].map(
          (m) => m[0],
        ),
      ),
    );
    const served = new Set(
      [...scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
        type === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name],
      ),
    );
    const unknown = [...words].filter(
      (word) => !PROMQL_WORDS.has(word) && !NOT_FROM_THE_APP.has(word) && !served.has(word),
    );
    expect(unknown).toEqual([]);
  });

  it('scrapes the services docker-compose.yml defines, on their port', () => {
    const prometheus = readFileSync(join(MONITORING, 'prometheus.yml'), 'utf8');
    const compose = readFileSync(join(__dirname, '..', 'docker-compose.yml'), 'utf8');
    const targets = [...prometheus.matchAll(/- names: \[(\w+)\]\n\s+type: A\n\s+port: (\d+)/g)];
    expect(targets.map(([, service]) => service)).toEqual(['api', 'worker']);
    for (const [, service, port] of targets) {
      expect(compose).toMatch(new RegExp(`^  ${service}:\\n`, 'm'));
      expect(compose).toContain(`PORT: '${port}'`);
    }
  });
});
