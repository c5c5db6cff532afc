import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DataSource } from 'typeorm';

export interface RoleRights {
  role: string;
  superuser: boolean;
  owner: boolean;
  schema_owner: boolean;
  function_owner: boolean;
  can_update: boolean;
  can_delete: boolean;
  can_truncate: boolean;
  can_trigger: boolean;
  can_set_replication_role: boolean;
}

/**
 * What the connected role may do to audit_logs, beyond reading and appending. Owning the table (or
 * its schema, or being able to become its owner) allows ALTER TABLE ... DISABLE TRIGGER and DROP;
 * owning the append-only trigger function allows replacing it; session_replication_role = replica
 * skips every trigger (PostgreSQL 15+ can grant SET on it to any role; before, only superusers).
 */
function rightsQuery(serverMajor: number): string {
  return `
    SELECT current_user AS role,
           r.rolsuper AS superuser,
           pg_has_role(c.relowner, 'MEMBER') AS owner,
           pg_has_role(n.nspowner, 'MEMBER') AS schema_owner,
           EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                    WHERE t.tgrelid = c.oid AND NOT t.tgisinternal
                      AND pg_has_role(p.proowner, 'MEMBER')) AS function_owner,
           has_table_privilege(c.oid, 'UPDATE') OR has_any_column_privilege(c.oid, 'UPDATE')
             AS can_update,
           has_table_privilege(c.oid, 'DELETE') AS can_delete,
           has_table_privilege(c.oid, 'TRUNCATE') AS can_truncate,
           has_table_privilege(c.oid, 'TRIGGER') AS can_trigger,
           ${serverMajor >= 15 ? `has_parameter_privilege('session_replication_role', 'SET')` : 'false'}
             AS can_set_replication_role
      FROM pg_roles r, pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE r.rolname = current_user AND c.oid = to_regclass('audit_logs')`;
}

/** Why the role could rewrite the audit trail, in words; empty when it cannot. */
export function rewriteRisks(rights: RoleRights): string[] {
  if (rights.superuser) return ['it is a superuser'];
  const risks: [boolean, string][] = [
    [rights.owner, 'it owns audit_logs'],
    [rights.schema_owner, 'it owns the schema of audit_logs'],
    [rights.function_owner, 'it owns the trigger functions of audit_logs'],
    [rights.can_update, 'it may UPDATE audit_logs'],
    [rights.can_delete, 'it may DELETE from audit_logs'],
    [rights.can_truncate, 'it may TRUNCATE audit_logs'],
    [rights.can_trigger, 'it may create triggers on audit_logs'],
    [rights.can_set_replication_role, 'it may SET session_replication_role'],
  ];
  return risks.filter(([risky]) => risky).map(([, why]) => why);
}

/**
 * At start, warns when the service's database role could rewrite the audit trail (README,
 * "Database roles"): the append-only triggers then only bind a service that chooses to obey them.
 * One query per process start, never on a request.
 */
@Injectable()
export class DatabaseRoleCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('Database');

  constructor(private readonly dataSource: DataSource) {}

  async onApplicationBootstrap(): Promise<void> {
    const serverMajor = Number.parseInt(this.dataSource.driver.version ?? '0', 10);
    const rows: RoleRights[] = await this.dataSource.query(rightsQuery(serverMajor));
    // No row: audit_logs does not exist yet (migrations not run), so there is no trail to guard.
    if (rows.length === 0) return;
    const risks = rewriteRisks(rows[0]);
    if (risks.length === 0) return;
    this.logger.warn(
      `The database role ${rows[0].role} could rewrite the audit trail: ${risks.join(', ')}. ` +
        'Connect the service (DATABASE_URL) as a role with only SELECT and INSERT on audit_logs ' +
        'and migrate as the owner (MIGRATION_DATABASE_URL); see README, "Database roles".',
    );
  }
}
