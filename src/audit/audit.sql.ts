/** The columns every audit record is written with, in the order of auditInsert's SELECT. */
const AUDIT_COLUMNS = [
  'action',
  'outcome',
  'actor_id',
  'resource_type',
  'resource_id',
  'ip_address',
  'user_agent',
  'request_id',
  'details',
] as const;

/**
 * The one writer of audit records: every record, from AuditService.record or from a statement
 * that changes a resource and records the change in one go (a CTE of that statement, so no
 * transaction stays open across round trips while the change holds its row locks), is inserted by
 * this statement. `select` yields the columns of AUDIT_COLUMNS, in order; its details pass through
 * audit_redact() (migration AuditRedact1764720000000), the one definition of what is never kept.
 */
export function auditInsert(select: string): string {
  const columns = AUDIT_COLUMNS.join(', ');
  const values = AUDIT_COLUMNS.map((column) =>
    column === 'details' ? 'audit_redact(entry.details)' : `entry.${column}`,
  ).join(', ');
  return `INSERT INTO audit_logs (${columns})
    SELECT ${values} FROM (${select}) AS entry (${columns})`;
}

/** AuditService.record's statement: one record from parameters $1..$9 ($9 the details, JSON). */
export const INSERT_AUDIT_RECORD = auditInsert(
  'VALUES ($1, $2, $3::uuid, $4, $5, $6, $7, $8, $9::jsonb)',
);
