/**
 * Knobs shared by every benchmark, read from the environment once. Defaults keep `npm run bench`
 * to a few minutes; raise BENCH_DURATION_S for steadier figures.
 */
function num(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number >= 0`);
  return value;
}

export const settings = {
  /** Measured seconds per workload. */
  durationS: num('BENCH_DURATION_S', 10),
  /** Seconds of load before each measurement, not counted (JIT, pools, caches). */
  warmupS: num('BENCH_WARMUP_S', 3),
  connections: num('BENCH_CONNECTIONS', 32),
  /** Tasks of the "10k" and "1M" owners. */
  smallOwnerTasks: num('BENCH_SMALL_OWNER_TASKS', 10_000),
  largeOwnerTasks: num('BENCH_LARGE_OWNER_TASKS', 1_000_000),
  /** Page size of every list workload, and how many pages deep the cursor workload reads. */
  pageSize: num('BENCH_PAGE_SIZE', 100),
  deepPage: num('BENCH_DEEP_PAGE', 5_000),
  /** Tasks waiting for an agent (a capability no agent has) in the "waiting" workload. */
  waitingBacklog: num('BENCH_WAITING_BACKLOG', 10_000),
  /** skip= of the offset workload. */
  deepSkip: num('BENCH_DEEP_SKIP', 500_000),
  /** The service's log level: warn keeps request lines (info) out of the measurement. */
  logLevel: process.env.BENCH_LOG_LEVEL ?? 'warn',
  /**
   * The service's role: all (default: HTTP and workers in one process, as small installs run it),
   * or api (HTTP only: created tasks stay queued, nothing dispatches them).
   */
  appRole: process.env.BENCH_APP_ROLE ?? 'all',
  /** PostgreSQL pool of the service and of the bare-pg ceiling alike. */
  poolMax: num('DB_POOL_MAX', 20),
  adminDatabaseUrl:
    process.env.BENCH_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0',
  /** First of the ports the service, the ceilings and the agent listen on. */
  basePort: num('BENCH_PORT', 3270),
};
