import { DataSource, Migration } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { migrationDataSourceOptions } from './data-source-options';
import { grantServiceRole } from './grants';

/** Any fixed number: every Ymera process agrees on it, so only one of them migrates at a time. */
const MIGRATION_LOCK_ID = 0x796d6572; // "ymer"

/**
 * Applies pending migrations under a PostgreSQL advisory lock, each in its own transaction,
 * so that many processes started together (MIGRATIONS_RUN=true on every replica) migrate once.
 * With a service role (a DATABASE_URL user other than the owner's), then grants it what the
 * service needs, under the same lock: two runs granting at once could fail on each other's
 * catalog updates.
 */
export async function runMigrations(
  dataSource: DataSource,
  serviceRole?: string,
): Promise<Migration[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      if (serviceRole) {
        await grantServiceRole(runner.manager, serviceRole, migrationsTableOf(dataSource));
      }
      return applied;
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    }
  } finally {
    await runner.release();
  }
}

/**
 * Migrates as the owner (MIGRATION_DATABASE_URL, default DATABASE_URL) on a connection of its own,
 * and grants the service role when DATABASE_URL names another user.
 */
export async function migrate(database: AppConfig['database']): Promise<Migration[]> {
  const dataSource = await new DataSource(migrationDataSourceOptions(database)).initialize();
  try {
    return await runMigrations(dataSource, database.serviceUser);
  } finally {
    await dataSource.destroy();
  }
}

function migrationsTableOf(dataSource: DataSource): string {
  return dataSource.options.migrationsTableName ?? 'migrations';
}
