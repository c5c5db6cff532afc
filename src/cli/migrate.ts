import { loadDatabaseConfig } from '../config/app-config';
import { migrate } from '../database/migrate';

/**
 * `npm run migration:run`: applies pending migrations as the owner (MIGRATION_DATABASE_URL) and
 * grants the service role (safe to run from many replicas at once).
 */
async function main(): Promise<void> {
  const applied = await migrate(loadDatabaseConfig(process.env));
  const names = applied.map((m) => m.name).join(', ');
  process.stdout.write(applied.length ? `Applied: ${names}\n` : 'No pending migrations\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
