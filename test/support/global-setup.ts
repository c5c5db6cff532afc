import { Client } from 'pg';
import { loadDatabaseConfig } from '../../src/config/app-config';
import { migrate } from '../../src/database/migrate';
import globalTeardown from './global-teardown';
import { ADMIN_DATABASE_URL, makeTestEnv } from './test-env';

/** Creates the run's service role and database, and migrates it as the admin (granting the role). */
export default async function globalSetup(): Promise<void> {
  const env = makeTestEnv();
  // Workers are started after this and inherit the environment.
  Object.assign(process.env, env);
  const service = new URL(env.DATABASE_URL);
  try {
    const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
    await admin.connect();
    try {
      const role = admin.escapeIdentifier(decodeURIComponent(service.username));
      const password = admin.escapeLiteral(decodeURIComponent(service.password));
      await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD ${password}`);
      await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(service.pathname.slice(1))}`);
    } finally {
      await admin.end();
    }
    await migrate(loadDatabaseConfig(process.env));
  } catch (error) {
    // Jest skips the teardown when the setup fails: the run's role must not outlive it.
    await globalTeardown();
    throw error;
  }
}
