import { randomBytes } from 'node:crypto';

export const ADMIN_DATABASE_URL =
  process.env.TEST_ADMIN_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

/** The environment every e2e worker inherits: one database and one key prefix per run. */
export function makeTestEnv(): Record<string, string> {
  const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const databaseUrl = new URL(ADMIN_DATABASE_URL);
  databaseUrl.pathname = `/ymera_test_${runId}`;
  return {
    NODE_ENV: 'test',
    YMERA_TEST_RUN: runId,
    DATABASE_URL: databaseUrl.toString(),
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: `ymera-test-${runId}`,
    JWT_SECRET: randomBytes(48).toString('base64'),
    // Tests speak for many clients through X-Forwarded-For, as they would behind a proxy.
    TRUST_PROXY: 'true',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    DB_POOL_MAX: '10',
  };
}
