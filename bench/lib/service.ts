import { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { BENCH_PASSWORD } from './seed';
import { Children, ROOT, waitForHttp } from './processes';
import { settings } from './settings';

export interface Service {
  base: string;
  process: ChildProcess;
  redisPrefix: string;
  login(username: string): Promise<string>;
}

/** The flags `npm run start:prod` gives node: the benchmarks start the service just as it does. */
const START_PROD_NODE_FLAGS = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts['start:prod']
  .split(' ')
  .filter((word) => word.startsWith('--'));

/** BENCH_DIST points at another build of the service (a profiling build, another branch's). */
const MAIN = join(process.env.BENCH_DIST ?? join(ROOT, 'dist'), 'src', 'main.js');

/**
 * The built service (`node <flags> dist/src/main.js`, as `npm run start:prod` runs it) in production mode
 * on the bench database and a Redis key prefix of its own.
 *
 * Besides what production needs, the environment raises two limits, or the load itself would be
 * refused: the general rate limit (6,000 requests per user per minute by default; it is still
 * consulted on every request, counters in Redis) and the auth limit (the bench logs in from one
 * address). The agent allow-list admits the loopback no-op agent.
 */
export async function startService(
  children: Children,
  databaseUrl: string,
  port: number,
  extraEnv: Record<string, string> = {},
): Promise<Service> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
  const stale = newerThan(join(ROOT, 'src'), statSync(MAIN).mtimeMs);
  if (stale) console.warn(`Warning: ${stale} is newer than the build; run npm run build first`);
  // Processes of one deployment (an API and a worker) share these two: pass them in extraEnv.
  const redisPrefix = extraEnv.REDIS_KEY_PREFIX ?? `ymera-bench-${randomBytes(4).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    APP_ROLE: settings.appRole,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    REDIS_URL: settings.redisUrl,
    REDIS_KEY_PREFIX: redisPrefix,
    JWT_SECRET: extraEnv.JWT_SECRET ?? randomBytes(48).toString('base64'),
    LOG_LEVEL: settings.logLevel,
    DB_POOL_MAX: String(settings.poolMax),
    THROTTLE_DEFAULT_LIMIT: '10000000',
    THROTTLE_AUTH_LIMIT: '1000',
    AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1',
    AGENT_HEARTBEAT_TTL_S: '86400',
    ...pick(process.env, ['TASK_WORKER_CONCURRENCY']),
    ...extraEnv,
  };
  // The node flags of `npm run start:prod`, and more for the service alone, e.g.
  // BENCH_SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof"
  const nodeArgs = [
    ...START_PROD_NODE_FLAGS,
    ...(process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
  const child = children.spawn(process.execPath, [...nodeArgs, MAIN], env, 'ymera');
  const base = `http://127.0.0.1:${port}`;
  await Promise.race([
    waitForHttp(`${base}/health`),
    new Promise((_, reject) =>
      child.once('exit', (code) => reject(new Error(`ymera exited with ${code} at start`))),
    ),
  ]);
  return {
    base,
    process: child,
    redisPrefix,
    login: async (username) => {
      const response = await fetch(`${base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: BENCH_PASSWORD }),
      });
      const body = (await response.json()) as { accessToken?: string };
      if (response.status !== 200 || !body.accessToken) {
        throw new Error(`login of ${username} answered ${response.status}`);
      }
      return body.accessToken;
    },
  };
}

/** The first source file changed after `since` (ms), if any. */
function newerThan(dir: string, since: number): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = newerThan(path, since);
      if (found) return found;
    } else if (entry.name.endsWith('.ts') && statSync(path).mtimeMs > since) {
      return path;
    }
  }
  return undefined;
}

function pick(env: NodeJS.ProcessEnv, names: string[]): Record<string, string> {
  return Object.fromEntries(
    names.filter((name) => env[name] !== undefined).map((name) => [name, env[name]!]),
  );
}

/** Removes every Redis key the service wrote (queue, rate-limit counters). */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(settings.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
