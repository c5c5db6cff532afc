import { Client } from 'pg';
import { loadDatabaseConfig } from '../../src/config/app-config';
import { migrate } from '../../src/database/migrate';
import { ADMIN_DATABASE_URL, databaseUrl } from './test-env';

export interface IsolatedEnv {
  /**
   * DATABASE_URL (the run's service role), MIGRATION_DATABASE_URL (the admin) and
   * REDIS_KEY_PREFIX of a database and queue no other spec file uses.
   */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/**
 * A migrated database and a Redis prefix of the spec's own, inside the run's namespace (the run's
 * teardown removes the Redis keys). For specs whose workers must not share the queue with every
 * other spec's application: their processors would take each other's jobs. Migrated as the admin,
 * which grants the run's service role, like the run's own database.
 */
export async function isolatedEnv(label: string): Promise<IsolatedEnv> {
  const name = `${new URL(process.env.DATABASE_URL!).pathname.slice(1)}_${label}`;
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const env = {
    DATABASE_URL: databaseUrl(process.env.DATABASE_URL!, name),
    MIGRATION_DATABASE_URL: databaseUrl(process.env.MIGRATION_DATABASE_URL!, name),
    REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX}-${label}`,
  };
  await migrate(loadDatabaseConfig({ ...process.env, ...env }));
  return {
    env,
    drop: async () => {
      const client = new Client({ connectionString: ADMIN_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
