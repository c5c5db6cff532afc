import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadDatabaseConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { runMigrations } from '../../src/database/migrate';
import { ADMIN_DATABASE_URL } from './test-env';

export interface IsolatedEnv {
  /** DATABASE_URL and REDIS_KEY_PREFIX of a database and queue no other spec file uses. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/**
 * A migrated database and a Redis prefix of the spec's own, inside the run's namespace (the run's
 * teardown removes the Redis keys). For specs whose workers must not share the queue with every
 * other spec's application: their processors would take each other's jobs.
 */
export async function isolatedEnv(label: string): Promise<IsolatedEnv> {
  const runUrl = new URL(process.env.DATABASE_URL!);
  const name = `${runUrl.pathname.slice(1)}_${label}`;
  const databaseUrl = new URL(runUrl);
  databaseUrl.pathname = `/${name}`;
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const env = {
    DATABASE_URL: databaseUrl.toString(),
    REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX}-${label}`,
  };
  const dataSource = await new DataSource(
    dataSourceOptions(loadDatabaseConfig({ ...process.env, ...env })),
  ).initialize();
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
  return {
    env,
    drop: async () => {
      const client = new Client({ connectionString: ADMIN_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
