import { EntityManager } from 'typeorm';

/** A PostgreSQL identifier, quoted. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Every statement that sets the service role's privileges in `schema`, in order (README,
 * "Database roles"): it reads and writes its tables, but only reads and appends to audit_logs and
 * task_events; it uses sequences; it gets nothing else: no TRUNCATE, REFERENCES or TRIGGER, no CREATE in the
 * schema, no access to the migrations' own table. Revoking everything first makes a run take back
 * whatever an earlier run or a hand-made GRANT gave beyond that (revoking a table's privileges
 * revokes its column privileges too), so every run converges on the same set.
 */
export function serviceGrantStatements(
  schema: string,
  role: string,
  migrationsTable: string,
): string[] {
  const s = ident(schema);
  const r = ident(role);
  return [
    `GRANT USAGE ON SCHEMA ${s} TO ${r}`,
    `REVOKE CREATE ON SCHEMA ${s} FROM ${r}`,
    `REVOKE ALL ON ALL TABLES IN SCHEMA ${s} FROM ${r}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${r}`,
    `REVOKE UPDATE, DELETE ON ${s}.audit_logs FROM ${r}`,
    `REVOKE UPDATE, DELETE ON ${s}.task_events FROM ${r}`,
    `REVOKE ALL ON ${s}.${ident(migrationsTable)} FROM ${r}`,
    `REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${s} FROM ${r}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${r}`,
  ];
}

/**
 * Statements giving the migrating role (the owner) whatever the service role owns in the schema:
 * an owner can alter, disable the triggers of, or drop what it owns, audit_logs included. Sequences
 * that belong to a table column move with their table.
 */
const OWNERSHIP_TRANSFERS = `
  SELECT format('ALTER SCHEMA %I OWNER TO CURRENT_USER', n.nspname) AS statement
    FROM pg_namespace n
   WHERE n.oid = current_schema()::regnamespace AND n.nspowner = $1
  UNION ALL
  SELECT format('ALTER %s %s OWNER TO CURRENT_USER',
                CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                               WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
                               ELSE 'TABLE' END,
                c.oid::regclass)
    FROM pg_class c
   WHERE c.relnamespace = current_schema()::regnamespace AND c.relowner = $1
     AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
     AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                        AND d.deptype IN ('a', 'i'))
  UNION ALL
  SELECT format('ALTER ROUTINE %s OWNER TO CURRENT_USER', p.oid::regprocedure)
    FROM pg_proc p
   WHERE p.pronamespace = current_schema()::regnamespace AND p.proowner = $1`;

/**
 * Gives the service role (the DATABASE_URL user) exactly what the service needs, and takes back
 * anything more, in one transaction. Run by the owner after every migration run, so tables added
 * since are covered.
 */
export async function grantServiceRole(
  manager: EntityManager,
  role: string,
  migrationsTable: string,
): Promise<void> {
  await manager.transaction(async (tx) => {
    const found: { oid: number }[] = await tx.query('SELECT oid FROM pg_roles WHERE rolname = $1', [
      role,
    ]);
    if (found.length === 0) {
      throw new Error(
        `The DATABASE_URL user ${role} does not exist: create it once as the owner, ` +
          `CREATE ROLE ${ident(role)} LOGIN PASSWORD '...' (README, "Database roles")`,
      );
    }
    const transfers: { statement: string }[] = await tx.query(OWNERSHIP_TRANSFERS, [found[0].oid]);
    for (const { statement } of transfers) await tx.query(statement);
    const [{ schema }]: { schema: string }[] = await tx.query('SELECT current_schema() AS schema');
    for (const statement of serviceGrantStatements(schema, role, migrationsTable)) {
      await tx.query(statement);
    }
  });
}
