import { DataSource, EntityManager, QueryRunner } from 'typeorm';

interface PgClient {
  query<R>(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: R[] }>;
}

/**
 * Runs a statement as a named prepared statement: PostgreSQL parses and plans it once per pooled
 * connection instead of on every call. Worth it for the few statements every task runs several
 * times (planning the CTEs below cost more than executing them). Inside a transaction, pass its
 * EntityManager: the statement runs on the transaction's connection.
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
    // TypeORM's PostgreSQL query runner hands out its node-postgres client; it alone can name
    // statements.
    const client = (await runner.connect()) as PgClient;
    const result = await client.query<R>({ name: statement.name, text: statement.text, values });
    return result.rows;
  } finally {
    if (!transactional) await runner.release();
  }
}
