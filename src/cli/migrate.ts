import { DataSource } from 'typeorm';
import { loadDatabaseConfig } from '../config/app-config';
import { dataSourceOptions } from '../database/data-source-options';
import { runMigrations } from '../database/migrate';

/** `npm run migration:run`: applies pending migrations (safe to run from many replicas at once). */
async function main(): Promise<void> {
  const dataSource = await new DataSource(
    dataSourceOptions(loadDatabaseConfig(process.env)),
  ).initialize();
  try {
    const applied = await runMigrations(dataSource);
    const names = applied.map((m) => m.name).join(', ');
    process.stdout.write(applied.length ? `Applied: ${names}\n` : 'No pending migrations\n');
  } finally {
    await dataSource.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
