import Redis from 'ioredis';
import { Client } from 'pg';
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
  const redis = new Redis(process.env.REDIS_URL!);
  try {
    const pattern = `${process.env.REDIS_KEY_PREFIX}*`;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
