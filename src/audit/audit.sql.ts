/** The columns every audit record is written with, in the order of auditInsert's SELECT. */
const AUDIT_COLUMNS =
  'action, outcome, actor_id, resource_type, resource_id, ip_address, user_agent, request_id, details';

/**
 * An INSERT of audit records for a statement that changes a resource and records the change in
 * one go (a CTE of that statement): no transaction stays open across round trips while the
 * change holds its row locks. `select` yields the columns of AUDIT_COLUMNS, in order. Its details
 * are built in SQL from named columns, so they never carry a secret (AuditService.record redacts
 * the details it is given; nothing here needs redacting).
 */
export function auditInsert(select: string): string {
  return `INSERT INTO audit_logs (${AUDIT_COLUMNS}) ${select}`;
}

/** AuditService.record's statement: one record from parameters $1..$9. */
export const INSERT_AUDIT_RECORD = auditInsert('VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)');
