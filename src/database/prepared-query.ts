import { DataSource, EntityManager, QueryRunner } from 'typeorm';

interface PgClient {
  query<R>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: R[] }>;
}

/**
 * Runs a statement as a named prepared statement: PostgreSQL parses and plans it once per pooled
 * connection instead of on every call. Used for the few statements every task or list request
 * runs. bench/README.md counts prepared statements among what took the task list from 250 to
 * 507-658 req/s, but has no figure for them alone; pgbench on the routing statement (CANDIDATES,
 * 8 clients, 2026-12-01, loaded machine) ran 3,790-7,764 statements a second unprepared and
 * 10,559-13,707 prepared. Inside a transaction, pass its EntityManager: the statement runs on the
 * transaction's connection.
 */
export async function preparedQuery<R>(
  source: DataSource | EntityManager,
  statement: { name: string; text: string },
  values: unknown[],
): Promise<R[]> {
  const transactional = source instanceof DataSource ? undefined : source.queryRunner;
  const runner: QueryRunner =
    transactional ??
    (source instanceof DataSource ? source : source.connection).createQueryRunner();
  try {
    // QueryRunner.connect() is documented to return the driver's connection: for PostgreSQL the
    // node-postgres client, which alone can name statements (TypeORM's query() cannot).
    const client = (await runner.connect()) as PgClient;
    const result = await client.query<R>({ name: statement.name, text: statement.text, values });
    return result.rows;
  } finally {
    if (!transactional) await runner.release();
  }
}
