import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BenchDatabase, createBenchDatabase, withClient } from './database';
import { Children, loadAverage, ROOT, waitForHttp } from './processes';
import { seed, SeededUser } from './seed';
import { dropRedisPrefix, Service, startService } from './service';
import { settings } from './settings';
import { machineLine, printTable, printTargets, Row, Target } from './table';

export const SMALL_OWNER = 'bench-small';
export const LARGE_OWNER = 'bench-large';
export const WRITER = 'bench-writer';

export interface RunNeeds {
  /** Seed the owner of BENCH_LARGE_OWNER_TASKS (1,000,000) tasks (the deep-page workloads). */
  largeOwner?: boolean;
  /** Start the bare-pg list ceiling. */
  listCeiling?: boolean;
  /** Start the repository + Bull task creation ceiling. */
  createCeiling?: boolean;
}

/**
 * One benchmark run: a fresh migrated database, seeded; the built service on it; the loopback
 * agent; the ceilings. close() stops every process it started and drops the database and the
 * service's Redis keys, also on Ctrl-C.
 */
export class BenchRun {
  readonly rows: Row[] = [];
  readonly targets: Target[] = [];
  readonly children = new Children();
  db: BenchDatabase;
  service: Service;
  users: Map<string, SeededUser>;
  /** Base URLs and process ids of the ceilings. */
  emptyCeiling: string;
  emptyPid: number;
  listCeiling?: string;
  listPid?: number;
  createCeiling?: string;
  createPid?: number;
  /** The create ceiling's Redis keys (its queue). */
  private createPrefix?: string;
  agentUrl: string;
  private closed = false;

  static async start(needs: RunNeeds = {}): Promise<BenchRun> {
    const run = new BenchRun();
    const onSignal = () => {
      void run.close().finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await run.setUp(needs);
    } catch (error) {
      await run.close();
      throw error;
    }
    return run;
  }

  private port(offset: number): number {
    return settings.basePort + offset;
  }

  private spawnServer(
    kind: 'empty' | 'list' | 'create' | 'agent',
    port: number,
    env: NodeJS.ProcessEnv,
  ) {
    return this.children.spawn(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        join(ROOT, 'bench', 'lib', 'servers.ts'),
        kind,
        String(port),
      ],
      { PATH: process.env.PATH, ...env },
      `${kind} server`,
    );
  }

  private async setUp(needs: RunNeeds): Promise<void> {
    console.log(`Machine: ${machineLine()}`);
    console.log(
      `Each workload: ${settings.warmupS} s warm-up, then ${settings.durationS} s at ${settings.connections} connections (autocannon); service log level ${settings.logLevel}, pool ${settings.poolMax}`,
    );
    this.agentUrl = `http://127.0.0.1:${this.port(9)}/run`;
    this.spawnServer('agent', this.port(9), {});
    this.emptyCeiling = `http://127.0.0.1:${this.port(1)}`;
    this.emptyPid = this.spawnServer('empty', this.port(1), {}).pid!;

    const started = performance.now();
    this.db = await createBenchDatabase();
    console.log(`Database ${this.db.name}: migrated; seeding`);
    const owners = [
      { username: SMALL_OWNER, tasks: settings.smallOwnerTasks },
      { username: WRITER, tasks: 0 },
      ...(needs.largeOwner ? [{ username: LARGE_OWNER, tasks: settings.largeOwnerTasks }] : []),
    ];
    this.users = await withClient(this.db.url, (client) =>
      seed(client, {
        owners,
        bystanders: { users: 100, tasksEach: 100 },
        agentUrl: this.agentUrl,
        log: (line) => console.log(line),
      }),
    );
    if (needs.listCeiling) {
      this.listCeiling = `http://127.0.0.1:${this.port(2)}`;
      this.listPid = this.spawnServer('list', this.port(2), {
        DATABASE_URL: this.db.url,
        DB_POOL_MAX: String(settings.poolMax),
      }).pid;
    }
    if (needs.createCeiling) {
      this.createCeiling = `http://127.0.0.1:${this.port(3)}`;
      this.createPrefix = `ymera-bench-ceiling-${randomBytes(4).toString('hex')}`;
      this.createPid = this.spawnServer('create', this.port(3), {
        DATABASE_URL: this.db.url,
        DB_POOL_MAX: String(settings.poolMax),
        REDIS_URL: settings.redisUrl,
        REDIS_KEY_PREFIX: this.createPrefix,
      }).pid;
    }
    this.service = await startService(this.children, this.db.url, this.port(0));
    await waitForHttp(`${this.emptyCeiling}/`);
    await waitForHttp(`${this.agentUrl}`);
    if (this.listCeiling) await waitForHttp(`${this.listCeiling}/ready`);
    if (this.createCeiling) await waitForHttp(`${this.createCeiling}/ready`);
    console.log(`Ready in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  }

  user(name: string): SeededUser {
    const user = this.users.get(name);
    if (!user) throw new Error(`${name} was not seeded`);
    return user;
  }

  add(row: Row): void {
    this.rows.push(row);
    const figures = [
      row.rps === undefined ? '' : `${row.rps.toFixed(0)} req/s`,
      row.p99 === undefined ? '' : `p99 ${row.p99.toFixed(1)} ms`,
      row.errors ? `${row.errors} errors` : '',
      row.peakRssMb === undefined ? '' : `RSS ${row.peakRssMb.toFixed(0)} MB`,
      row.cpuMs === undefined ? '' : `CPU ${row.cpuMs.toFixed(2)} ms/req`,
      row.pgCpuMs === undefined ? '' : `PostgreSQL CPU ${row.pgCpuMs.toFixed(2)} ms/req`,
    ].filter(Boolean);
    console.log(`  ${row.workload}: ${figures.join(', ')}  (load ${loadAverage()})`);
  }

  target(name: string, measured: string, met: boolean | undefined): void {
    this.targets.push({ name, measured, met });
  }

  report(): void {
    printTable(`Results (${new Date().toISOString()}; ${machineLine()})`, this.rows);
    printTargets(this.targets);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.children.stopAll();
    for (const prefix of [this.service?.redisPrefix, this.createPrefix]) {
      if (prefix) await dropRedisPrefix(prefix).catch((e: unknown) => console.error(e));
    }
    await this.db?.drop().catch((e: unknown) => console.error(e));
  }
}

/** Runs `body` on a started BenchRun, prints the table, and always cleans up. */
export async function benchMain(
  needs: RunNeeds,
  body: (run: BenchRun) => Promise<void>,
): Promise<void> {
  let run: BenchRun | undefined;
  try {
    run = await BenchRun.start(needs);
    await body(run);
    run.report();
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  } finally {
    await run?.close();
  }
}
