import { Client } from 'pg';
import { deleteRedisKeys } from './redis-keys';
import { ADMIN_DATABASE_URL } from './test-env';

/**
 * Drops the run's databases (its own and any isolated one a failed spec left behind), then its
 * service role, which PostgreSQL refuses to drop while a database still grants it anything, and
 * every Redis key under its prefix.
 */
export default async function globalTeardown(): Promise<void> {
  const service = new URL(process.env.DATABASE_URL!);
  const database = service.pathname.slice(1);
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname = $1 OR starts_with(datname, $1 || '_')`,
      [database],
    );
    for (const { datname } of rows) {
      await admin.query(`DROP DATABASE IF EXISTS ${admin.escapeIdentifier(datname)} WITH (FORCE)`);
    }
    const role = admin.escapeIdentifier(decodeURIComponent(service.username));
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
  } finally {
    await admin.end();
  }
  await deleteRedisKeys(process.env.REDIS_URL!, `${process.env.REDIS_KEY_PREFIX}*`);
}
