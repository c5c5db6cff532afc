import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { loadDatabaseConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { runMigrations } from '../../src/database/migrate';
import { ADMIN_DATABASE_URL, makeTestEnv } from './test-env';

export default async function globalSetup(): Promise<void> {
  const env = makeTestEnv();
  // Workers are started after this and inherit the environment.
  Object.assign(process.env, env);
  const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${new URL(env.DATABASE_URL).pathname.slice(1)}"`);
  } finally {
    await admin.end();
  }
  const dataSource = await new DataSource(
    dataSourceOptions(loadDatabaseConfig(process.env)),
  ).initialize();
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}
