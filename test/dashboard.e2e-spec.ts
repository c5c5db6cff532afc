import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metric } from '../src/metrics/metric-definitions';
import { startApp, TestApp } from './support/app';
import { scrapeWithEverySample } from './support/scrape';
import { familyOf, metricNames, servedNames } from './support/promql-metrics';
import { parseYamlSubset, Yaml } from './support/yaml-subset';

/** monitoring/grafana: the dashboard and Grafana's provisioning (README, Metrics and alerts). */
const ROOT = join(__dirname, '..');
const GRAFANA = join(ROOT, 'monitoring', 'grafana');
const DASHBOARD = join(GRAFANA, 'dashboards', 'ymera.json');

/** Metrics the dashboard may use that the app does not export. */
const NOT_FROM_THE_APP = new Set([
  'up', // written by Prometheus for every target
]);

/** Grafana's own variables in range selectors, replaced by a duration for promtool. */
const GRAFANA_INTERVALS = ['__rate_interval', '__interval', '__range'];

interface Target {
  expr?: string;
  refId?: string;
  datasource?: { type?: string; uid?: string };
}

interface Panel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  panels?: Panel[];
}

interface Variable {
  name: string;
  type: string;
  query?: string | { query?: string };
  datasource?: { type?: string; uid?: string };
}

interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

interface Expression {
  where: string;
  expr: string;
}

/** Every panel, those of collapsed rows (nested in the row) included. */
function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

/** Every PromQL expression of the dashboard: panel targets, and the selectors of query variables. */
function expressions(dashboard: Dashboard): Expression[] {
  const fromPanels = allPanels(dashboard.panels).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      where: `panel "${panel.title}" target ${target.refId}`,
      expr: target.expr ?? '',
    })),
  );
  const fromVariables = dashboard.templating.list
    .filter((variable) => variable.type === 'query')
    .map((variable) => {
      const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
      // label_values(selector, label) is Grafana's; the selector is PromQL.
      const selector = /^label_values\((.*),\s*\w+\)$/.exec(query ?? '')?.[1];
      return { where: `variable ${variable.name}`, expr: selector ?? query ?? '' };
    });
  return [...fromPanels, ...fromVariables];
}

/** Expressions naming a metric that `served` lacks, with where they are. */
function unknownMetrics(list: Expression[], served: Set<string>): string[] {
  return list.flatMap(({ where, expr }) =>
    metricNames(expr)
      .filter((name) => !served.has(name) && !NOT_FROM_THE_APP.has(name))
      .map((name) => `${where}: ${name}`),
  );
}

/** The expression with the dashboard's variables replaced, as Prometheus would receive it. */
function interpolate(expr: string, variables: string[]): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
    const name = braced ?? bare ?? '';
    if (GRAFANA_INTERVALS.includes(name)) return '5m';
    if (variables.includes(name)) return '.*';
    return whole; // "${1}" in a label_replace replacement, or a typo promtool then refuses
  });
}

function promtool(args: string[], cwd: string) {
  const run = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  if (run.error && 'code' in run.error && run.error.code === 'ENOENT') {
    throw new Error('No promtool on the PATH: install it (apt-get install -y prometheus).');
  }
  if (run.error) throw run.error;
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

function readYaml(path: string): Record<string, Yaml> {
  return parseYamlSubset(readFileSync(path, 'utf8')) as Record<string, Yaml>;
}

/** The block of one top-level service of docker-compose.yml, as text. */
function composeService(compose: string, name: string): string {
  const match = new RegExp(`^  ${name}:\\n((?:(?:    .*)?\\n)+)`, 'm').exec(compose);
  if (!match) throw new Error(`docker-compose.yml has no service ${name}`);
  return match[1];
}

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
  const variables = dashboard.templating.list.map((variable) => variable.name);
  let t: TestApp;
  let scrape: string;

  beforeAll(async () => {
    t = await startApp();
    scrape = await scrapeWithEverySample(t);
  });

  afterAll(() => t.close());

  it('is a dashboard with unique panel ids, each panel inside the 24-column grid', () => {
    expect(dashboard.uid).toBe('ymera');
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const panels = allPanels(dashboard.panels);
    expect(panels.length).toBeGreaterThan(10);
    const ids = panels.map((panel) => panel.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      const { x, w } = panel.gridPos ?? { x: -1, w: 0 };
      expect({ title: panel.title, fits: x >= 0 && w > 0 && x + w <= 24 }).toEqual({
        title: panel.title,
        fits: true,
      });
    }
  });

  it('queries Prometheus through its datasource variable only, so it imports anywhere', () => {
    const datasource = dashboard.templating.list.find((variable) => variable.name === 'datasource');
    expect(datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
    const uses = [
      ...allPanels(dashboard.panels)
        .filter((panel) => panel.type !== 'row')
        .flatMap((panel) => [panel.datasource, ...(panel.targets ?? []).map((t) => t.datasource)]),
      ...dashboard.templating.list.filter((v) => v.type === 'query').map((v) => v.datasource),
    ];
    for (const use of uses) expect(use).toEqual({ type: 'prometheus', uid: '${datasource}' });
    for (const panel of allPanels(dashboard.panels).filter((p) => p.type !== 'row')) {
      expect({ title: panel.title, targets: (panel.targets ?? []).length > 0 }).toEqual({
        title: panel.title,
        targets: true,
      });
      const refIds = (panel.targets ?? []).map((target) => target.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
    }
  });

  it('has PromQL that Prometheus parses (promtool check rules)', () => {
    const list = expressions(dashboard);
    expect(list.length).toBeGreaterThan(10);
    const dir = mkdtempSync(join(tmpdir(), 'ymera-dashboard-'));
    try {
      // Each expression as a recording rule; JSON strings are valid YAML double-quoted scalars.
      const rules = list
        .map(({ expr }, i) => {
          const body = JSON.stringify(interpolate(expr, variables));
          return `      - record: dashboard:expression_${i}\n        expr: ${body}\n`;
        })
        .join('');
      writeFileSync(join(dir, 'rules.yml'), `groups:\n  - name: dashboard\n    rules:\n${rules}`);
      const check = promtool(['check', 'rules', 'rules.yml'], dir);
      expect(check.output).toContain(`SUCCESS: ${list.length} rules found`);
      expect(check.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names only metrics the running app exports', () => {
    const served = servedNames(scrape);
    const list = expressions(dashboard);
    for (const { where, expr } of list) {
      expect({ where, names: metricNames(expr).length > 0 }).toEqual({ where, names: true });
    }
    expect(unknownMetrics(list, served)).toEqual([]);
  });

  it("shows every metric of the service's own", () => {
    const used = new Set(
      expressions(dashboard).flatMap(({ expr }) =>
        metricNames(expr).map((name) => familyOf(name, scrape)),
      ),
    );
    const missing = Object.values(Metric).filter((family) => !used.has(family));
    expect(missing).toEqual([]);
  });

  it('reports a metric the app does not export, and reads PromQL as Prometheus does', () => {
    const served = servedNames(scrape);
    expect(
      unknownMetrics(
        [
          { where: 'fake', expr: 'sum(rate(nonexistent_metric_total{job=~"$job"}[5m]))' },
          { where: 'bare histogram', expr: 'http_request_duration_seconds' },
          { where: 'served', expr: 'rate(http_requests_total[$__rate_interval])' },
        ],
        served,
      ),
    ).toEqual(['fake: nonexistent_metric_total', 'bare histogram: http_request_duration_seconds']);
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (route, le) (rate(a_bucket{route!="x"}[$__rate_interval])))',
      ),
    ).toEqual(['a_bucket']);
    expect(
      metricNames(
        'sum without (instance) (label_replace(b_total, "status_class", "${1}xx", "status", "(.).."))' +
          ' / on (job) group_left c offset 1h > bool 1e3 and d{__name__="e"} or f[5m:1m] unless inf',
      ),
    ).toEqual(['b_total', 'c', 'd', 'e', 'f']);
    expect(() => metricNames('rtae(http_requests_total[5m])')).toThrow(/Unknown PromQL function/);
  });

  it('has provisioning files Grafana reads: the compose Prometheus and this dashboard', () => {
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    const prometheus = composeService(compose, 'prometheus');
    const grafana = composeService(compose, 'grafana');

    const datasources = readYaml(join(GRAFANA, 'provisioning', 'datasources', 'prometheus.yml'));
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ type: 'prometheus', access: 'proxy', isDefault: true }),
    ]);
    const [source] = datasources.datasources as { url: string }[];
    const url = new URL(source.url);
    expect(prometheus).toContain(`:${url.port}:9090'`);
    expect(url.hostname).toBe('prometheus');

    const providers = readYaml(join(GRAFANA, 'provisioning', 'dashboards', 'ymera.yml'));
    expect(providers.apiVersion).toBe(1);
    expect(providers.providers).toEqual([expect.objectContaining({ type: 'file' })]);
    const [provider] = providers.providers as { options: { path: string } }[];
    const { path } = provider.options;

    // Compose mounts both folders where Grafana and the provider look for them.
    const mounts = [...grafana.matchAll(/^ {6}- \.\/(\S+):(\S+):ro$/gm)].map(([, from, to]) => ({
      from,
      to,
    }));
    expect(mounts).toEqual(
      expect.arrayContaining([
        { from: 'monitoring/grafana/provisioning', to: '/etc/grafana/provisioning' },
        { from: 'monitoring/grafana/dashboards', to: path },
      ]),
    );
    for (const { from } of mounts) expect(existsSync(join(ROOT, from))).toBe(true);
    expect(grafana).toContain(`GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: ${path}/ymera.json`);
    expect(grafana).toMatch(/depends_on:\n\s+- prometheus\n/);
  });

  it('runs a pinned Grafana on a loopback port that no other compose service publishes', () => {
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    const grafana = composeService(compose, 'grafana');
    expect(grafana).toMatch(/^ {4}image: grafana\/grafana-oss:\d+\.\d+\.\d+$/m);
    const published = [...compose.matchAll(/^ {6}- '([\d.]+):(\d+)(?:-(\d+))?:(\d+)'$/gm)].map(
      ([, host, from, to]) => ({ host, from: Number(from), to: Number(to ?? from) }),
    );
    expect(published.every(({ host }) => host === '127.0.0.1')).toBe(true);
    const [own] = [...grafana.matchAll(/^ {6}- '127\.0\.0\.1:(\d+):3000'$/gm)].map((m) =>
      Number(m[1]),
    );
    expect(own).toBeDefined();
    const taking = published.filter(({ from, to }) => from <= own && own <= to);
    expect(taking).toHaveLength(1);
  });
});
