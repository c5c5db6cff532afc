import { Client } from 'pg';
import { deleteRedisKeys } from './redis-keys';
import { ADMIN_DATABASE_URL } from './test-env';

/** Drops the run's database and every Redis key under its prefix. */
export default async function globalTeardown(): Promise<void> {
  const database = new URL(process.env.DATABASE_URL!).pathname.slice(1);
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  await deleteRedisKeys(process.env.REDIS_URL!, `${process.env.REDIS_KEY_PREFIX}*`);
}
