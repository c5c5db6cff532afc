import { DataSource, Migration } from 'typeorm';

/** Any fixed number: every Ymera process agrees on it, so only one of them migrates at a time. */
const MIGRATION_LOCK_ID = 0x796d6572; // "ymer"

/**
 * Applies pending migrations under a PostgreSQL advisory lock, each in its own transaction,
 * so that many processes started together (MIGRATIONS_RUN=true on every replica) migrate once.
 */
export async function runMigrations(dataSource: DataSource): Promise<Migration[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      return await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    }
  } finally {
    await runner.release();
  }
}
