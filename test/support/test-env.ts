import { randomBytes } from 'node:crypto';

export const ADMIN_DATABASE_URL =
  process.env.TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/** `url` pointing at another database (and, when given, as another user with a password). */
export function databaseUrl(
  url: string,
  database: string,
  login?: { user: string; password: string },
): string {
  const result = new URL(url);
  result.pathname = `/${database}`;
  if (login) {
    result.username = encodeURIComponent(login.user);
    result.password = encodeURIComponent(login.password);
  }
  return result.toString();
}

/**
 * The environment every e2e worker inherits: one database, one service role and one key prefix
 * per run. Migrations run as the admin (MIGRATION_DATABASE_URL, the database's owner); every app
 * connects as the run's service role (DATABASE_URL), as a production install does (README,
 * "Database roles").
 */
export function makeTestEnv(): Record<string, string> {
  const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const database = `ymera_test_${runId}`;
  const serviceRole = { user: `${database}_app`, password: randomBytes(24).toString('hex') };
  return {
    NODE_ENV: 'test',
    YMERA_TEST_RUN: runId,
    DATABASE_URL: databaseUrl(ADMIN_DATABASE_URL, database, serviceRole),
    MIGRATION_DATABASE_URL: databaseUrl(ADMIN_DATABASE_URL, database),
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: `ymera-test-${runId}`,
    JWT_SECRET: randomBytes(48).toString('base64'),
    // Tests speak for many clients through X-Forwarded-For, as they would behind a proxy.
    TRUST_PROXY: 'true',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    DB_POOL_MAX: '10',
  };
}
