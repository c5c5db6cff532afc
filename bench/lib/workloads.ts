import { performance } from 'node:perf_hooks';
import { withClient } from './database';
import { BenchRun, LARGE_OWNER, SMALL_OWNER, WRITER } from './harness';
import { LoadResult, measure } from './load';
import { Row } from './table';
import { settings } from './settings';

export const RSS_LIMIT_MB = 200;

function row(workload: string, result: LoadResult, extra: Partial<Row> = {}): Row {
  return {
    workload,
    rps: result.rps,
    p50: result.p50,
    p99: result.p99,
    errors: result.errors,
    peakRssMb: result.peakRssMb,
    cpuMs: result.cpuMsPerRequest,
    pgCpuMs: result.pgCpuMsPerRequest,
    ...extra,
  };
}

function ratio(of: string, ymera: LoadResult, ceiling: LoadResult) {
  return { of, value: ymera.rps / ceiling.rps };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

function checkRss(run: BenchRun, workload: string, result: LoadResult): void {
  if (result.peakRssMb === undefined) return;
  run.target(
    `RSS <= ${RSS_LIMIT_MB} MB (${workload})`,
    `${result.peakRssMb.toFixed(0)} MB`,
    result.peakRssMb <= RSS_LIMIT_MB,
  );
}

function auth(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/**
 * GET /health (database, Redis, queue checks) against the empty-handler ceiling; and the same probe
 * with a query string, which goes through Express and the whole request pipeline instead of being
 * answered ahead of it (src/health/probes-first.ts).
 */
export async function healthWorkload(run: BenchRun): Promise<void> {
  const pid = run.service.process.pid!;
  const ceiling = await measure({ url: `${run.emptyCeiling}/` }, run.emptyPid);
  const ymera = await measure({ url: `${run.service.base}/health` }, pid);
  const throughExpress = await measure({ url: `${run.service.base}/health?via=express` }, pid);
  run.add(row('GET /health', ymera, { ratio: ratio('empty node:http', ymera, ceiling) }));
  run.add(
    row('GET /health?via=express (through Express)', throughExpress, {
      ratio: ratio('empty node:http', throughExpress, ceiling),
    }),
  );
  run.add(row('ceiling: empty node:http GET', ceiling, { ceiling: true }));
  run.target('health p99 <= 10 ms', ms(ymera.p99), ymera.p99 <= 10);
  checkRss(run, 'health', ymera);
  checkRss(run, 'health through Express', throughExpress);
}

function listUrl(base: string, query: string): string {
  return `${base}/api/v1/tasks?${query}`;
}

/** A page of `query` from Ymera and from the bare-pg ceiling, for the given owner. */
async function listPair(
  run: BenchRun,
  label: string,
  owner: string,
  token: string,
  query: string,
): Promise<{ ymera: LoadResult; ceiling?: LoadResult }> {
  const user = run.user(owner);
  if (run.listCeiling) await sameAnswer(run, owner, token, query);
  const ceiling = run.listCeiling
    ? await measure(
        {
          url: listUrl(run.listCeiling, query),
          headers: { 'x-bench-owner': user.id },
        },
        run.listPid,
      )
    : undefined;
  const ymera = await measure(
    { url: listUrl(run.service.base, query), headers: auth(token), expectStatus: 200 },
    run.service.process.pid,
  );
  run.add(
    row(label, ymera, {
      ratio: ceiling ? ratio('repository', ymera, ceiling) : undefined,
    }),
  );
  if (ceiling) run.add(row(`ceiling: repository, ${label}`, ceiling, { ceiling: true }));
  checkRss(run, label, ymera);
  return { ymera, ceiling };
}

/** The ceiling must answer what Ymera answers, or the comparison means nothing. */
async function sameAnswer(run: BenchRun, owner: string, token: string, query: string) {
  const [ymera, ceiling] = await Promise.all([
    fetch(listUrl(run.service.base, query), { headers: auth(token) }).then((r) => r.text()),
    fetch(listUrl(run.listCeiling!, query), {
      headers: { 'x-bench-owner': run.user(owner).id },
    }).then((r) => r.text()),
  ]);
  if (ymera !== ceiling) {
    throw new Error(
      `the list ceiling answers ${query} differently:\n${ymera.slice(0, 300)}\n${ceiling.slice(0, 300)}`,
    );
  }
}

/** Result of the 10,000-task list, kept for the deep-page comparison. */
let smallFirstPage: LoadResult | undefined;

/** GET /api/v1/tasks?limit=100 of a user owning 10,000 tasks, against the bare-pg ceiling. */
export async function listWorkload(run: BenchRun): Promise<void> {
  const token = await run.service.login(SMALL_OWNER);
  const label = `GET tasks, ${settings.pageSize} of ${settings.smallOwnerTasks.toLocaleString('en')}`;
  const { ymera, ceiling } = await listPair(
    run,
    label,
    SMALL_OWNER,
    token,
    `limit=${settings.pageSize}`,
  );
  smallFirstPage = ymera;
  if (ceiling) {
    run.target(
      'list >= 50% of bare-pg req/s',
      `${((100 * ymera.rps) / ceiling.rps).toFixed(0)}%`,
      ymera.rps >= 0.5 * ceiling.rps,
    );
  }
  run.target('list p99 <= 25 ms', ms(ymera.p99), ymera.p99 <= 25);
}

interface ListBody {
  items: { id: string }[];
  total: number;
  nextCursor: string | null;
}

async function getJson(url: string, token: string): Promise<ListBody> {
  const response = await fetch(url, { headers: auth(token) });
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  return (await response.json()) as ListBody;
}

/**
 * For the owner of 1,000,000 tasks: the first page, skip=500000, and page 5,000 reached by cursor.
 * The cursor is what the API itself hands out: the nextCursor of the one-item page holding the
 * last item of page 4,999 (checked against the same page read with skip).
 */
export async function deepPagesWorkload(run: BenchRun): Promise<void> {
  const token = await run.service.login(LARGE_OWNER);
  const size = settings.pageSize;
  const owned = settings.largeOwnerTasks.toLocaleString('en');
  const base = run.service.base;
  const lastBefore = (settings.deepPage - 1) * size - 1;
  const started = performance.now();
  const probe = await getJson(listUrl(base, `limit=1&skip=${lastBefore}`), token);
  const cursor = probe.nextCursor;
  if (!cursor) throw new Error(`no nextCursor after item ${lastBefore}`);
  const byCursor = await getJson(listUrl(base, `limit=${size}&cursor=${cursor}`), token);
  const bySkip = await getJson(listUrl(base, `limit=${size}&skip=${lastBefore + 1}`), token);
  if (
    byCursor.items[0]?.id !== bySkip.items[0]?.id ||
    byCursor.total !== settings.largeOwnerTasks
  ) {
    throw new Error('page reached by cursor differs from the same page by skip');
  }
  console.log(
    `  cursor to page ${settings.deepPage.toLocaleString('en')} found and checked in ${(performance.now() - started).toFixed(0)} ms`,
  );

  const first = await listPair(
    run,
    `GET tasks, first page of ${owned}`,
    LARGE_OWNER,
    token,
    `limit=${size}`,
  );
  await listPair(
    run,
    `GET tasks, skip=${settings.deepSkip} of ${owned}`,
    LARGE_OWNER,
    token,
    `limit=${size}&skip=${settings.deepSkip}`,
  );
  const deep = await listPair(
    run,
    `GET tasks, page ${settings.deepPage.toLocaleString('en')} by cursor of ${owned}`,
    LARGE_OWNER,
    token,
    `limit=${size}&cursor=${cursor}`,
  );
  run.target(
    'cursor page p99 <= 2x first page p99',
    `${ms(deep.ymera.p99)} vs ${ms(first.ymera.p99)}`,
    deep.ymera.p99 <= 2 * first.ymera.p99,
  );
  if (smallFirstPage) {
    run.target(
      '1M first page p99 <= 2x 10k first page p99',
      `${ms(first.ymera.p99)} vs ${ms(smallFirstPage.p99)}`,
      first.ymera.p99 <= 2 * smallFirstPage.p99,
    );
  }
}

const CREATE_BODY = JSON.stringify({
  name: 'Summarise the quarterly report',
  taskType: 'noop',
  parameters: { document: 'doc-1', language: 'en', maxTokens: 256 },
  priority: 'normal',
});

/**
 * POST /api/v1/tasks: each request stores a task and its audit row, commits, queues it; the
 * service's own workers dispatch them meanwhile to the loopback no-op agent (APP_ROLE=all). The
 * queue is drained before the next workload starts. Its ceiling stores and queues the same tasks
 * the same way with the service's TasksRepository and TaskQueue over a DataSource and Bull, and nothing else (bench/lib/servers.ts).
 */
export async function createWorkload(run: BenchRun): Promise<void> {
  const writer = run.user(WRITER);
  const token = await run.service.login(WRITER);
  const empty = await measure(
    {
      url: `${run.emptyCeiling}/`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: CREATE_BODY,
    },
    run.emptyPid,
  );
  const bare = run.createCeiling
    ? await measure(
        {
          url: `${run.createCeiling}/`,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-bench-owner': writer.id },
          body: CREATE_BODY,
          expectStatus: 201,
        },
        run.createPid,
      )
    : undefined;
  // The ceiling's tasks go, or the service's reconciler would queue and dispatch them meanwhile.
  await withClient(run.db.url, (client) =>
    client.query(`DELETE FROM tasks WHERE owner_id = $1`, [writer.id]),
  );
  const { ymera, drained } = await measureCreate(run, token);
  run.add(
    row('POST tasks (to a no-op agent)', ymera, {
      ratio: bare
        ? ratio('repository + Bull', ymera, bare)
        : ratio('empty node:http', ymera, empty),
      note: drained,
    }),
  );
  if (bare) {
    run.add(
      row('ceiling: repository + Bull, POST tasks', bare, {
        ceiling: true,
        note: 'stores and queues; dispatches nothing',
      }),
    );
  }
  run.add(row('ceiling: empty node:http POST', empty, { ceiling: true }));
  run.target(
    'POST task >= 1,500 req/s',
    `${ymera.rps.toFixed(0)} req/s${bare ? ` (repository + Bull: ${bare.rps.toFixed(0)})` : ''}`,
    ymera.rps >= 1500,
  );
  checkRss(run, 'POST task', ymera);
}

/**
 * POST /api/v1/tasks as the writer (`token`) for one measurement, then waits until the service has
 * dispatched what it accepted.
 */
export async function measureCreate(
  run: BenchRun,
  token: string,
): Promise<{ ymera: LoadResult; drained: string }> {
  const ymera = await measure(
    {
      url: `${run.service.base}/api/v1/tasks`,
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth(token) },
      body: CREATE_BODY,
      expectStatus: 201,
    },
    run.service.process.pid,
  );
  return { ymera, drained: await drain(run) };
}

/** Waits (bounded) until the writer's tasks are all final; says how it went. */
async function drain(run: BenchRun): Promise<string> {
  if (settings.appRole === 'api') return 'APP_ROLE=api: nothing dispatched';
  const writer = run.user(WRITER);
  const started = performance.now();
  return withClient(run.db.url, async (client) => {
    for (;;) {
      // Tasks waiting for an agent (the "waiting" workload's backlog) are not the load's.
      const { rows } = await client.query<{ status: string; n: number }>(
        `SELECT status, count(*)::int AS n FROM tasks
          WHERE owner_id = $1 AND waiting_since IS NULL GROUP BY status`,
        [writer.id],
      );
      const unfinished = rows
        .filter((r) => r.status === 'pending' || r.status === 'in_progress')
        .reduce((sum, r) => sum + r.n, 0);
      const seconds = (performance.now() - started) / 1000;
      if (unfinished === 0 || seconds > 180) {
        const counts = rows.map((r) => `${r.status} ${r.n}`).join(', ');
        return `${counts}${unfinished ? ' (gave up waiting)' : ''}; queue drained ${seconds.toFixed(1)} s after the load`;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });
}
