/**
 * Creates a fresh migrated database seeded as `npm run bench` seeds it (plus an audit table of
 * BENCH_AUDIT_ROWS rows), prints `DATABASE_URL=<url>` and the seeded users' ids, and leaves it
 * there: bench/explain.sh uses it and drops it. Drop one yourself with
 *   psql postgres://postgres@127.0.0.1:5432/postgres -c 'DROP DATABASE "<name>" WITH (FORCE)'
 */
import { createBenchDatabase, withClient } from './lib/database';
import { LARGE_OWNER, SMALL_OWNER, WRITER } from './lib/harness';
import { seed } from './lib/seed';
import { settings } from './lib/settings';

async function main(): Promise<void> {
  const db = await createBenchDatabase();
  try {
    const users = await withClient(db.url, (client) =>
      seed(client, {
        owners: [
          { username: SMALL_OWNER, tasks: settings.smallOwnerTasks },
          { username: WRITER, tasks: 0 },
          { username: LARGE_OWNER, tasks: settings.largeOwnerTasks },
        ],
        bystanders: { users: 100, tasksEach: 100 },
        auditRows: Number(process.env.BENCH_AUDIT_ROWS ?? 500_000),
        agentUrl: 'http://127.0.0.1:9/run',
        log: (line) => process.stderr.write(`${line}\n`),
      }),
    );
    console.log(`DATABASE_URL=${db.url}`);
    for (const user of users.values()) {
      const name = user.username.toUpperCase().replace('-', '_');
      console.log(`${name}_ID=${user.id}`);
      console.log(`${name}_AGENT_ID=${user.agentId}`);
      console.log(`${name}_SIDE_AGENT_ID=${user.sideAgentId}`);
    }
  } catch (error) {
    await db.drop();
    throw error;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
