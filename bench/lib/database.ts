import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadDatabaseConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { runMigrations } from '../../src/database/migrate';
import { settings } from './settings';

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: settings.adminDatabaseUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh database, migrated exactly as `npm run migration:run` does (src/database/migrate.ts). */
export async function createBenchDatabase(): Promise<BenchDatabase> {
  const name = `ymera_bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const url = new URL(settings.adminDatabaseUrl);
  url.pathname = `/${name}`;
  await admin((client) => client.query(`CREATE DATABASE "${name}"`));
  let dropped = false;
  const database: BenchDatabase = {
    name,
    url: url.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await admin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
  try {
    const dataSource = await new DataSource(
      dataSourceOptions(loadDatabaseConfig({ DATABASE_URL: database.url, DB_POOL_MAX: '2' })),
    ).initialize();
    try {
      await runMigrations(dataSource);
    } finally {
      await dataSource.destroy();
    }
  } catch (error) {
    await database.drop();
    throw error;
  }
  return database;
}

/** Runs `work` with a plain client on the given database. */
export async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
