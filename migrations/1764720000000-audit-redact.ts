import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The one definition of what never enters the audit trail: the value of any key (at any depth)
 * that names a password, token, secret, authorization, cookie, API key or signature is replaced by
 * "[redacted]". Every audit record is written through it (src/audit/audit.sql.ts), whether its
 * details come from the application or are built in SQL by the statement that changes a task.
 */
export class AuditRedact1764720000000 implements MigrationInterface {
  name = 'AuditRedact1764720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION audit_redact(value jsonb) RETURNS jsonb
        LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
      BEGIN
        CASE jsonb_typeof(value)
          WHEN 'object' THEN
            -- Most details are flat objects with no secret key: returned as they are, in one scan.
            IF NOT EXISTS (
              SELECT 1 FROM jsonb_each(value) AS entry(key, inner_value)
               WHERE key ~* 'pass(word)?|token|secret|authorization|cookie|api[-_]?key|signature'
                  OR jsonb_typeof(inner_value) IN ('object', 'array')) THEN
              RETURN value;
            END IF;
            RETURN COALESCE(
              (SELECT jsonb_object_agg(key, CASE
                   WHEN key ~* 'pass(word)?|token|secret|authorization|cookie|api[-_]?key|signature'
                   THEN '"[redacted]"'::jsonb
                   ELSE audit_redact(inner_value) END)
                 FROM jsonb_each(value) AS entry(key, inner_value)),
              '{}'::jsonb);
          WHEN 'array' THEN
            RETURN COALESCE(
              (SELECT jsonb_agg(audit_redact(element) ORDER BY position)
                 FROM jsonb_array_elements(value) WITH ORDINALITY AS item(element, position)),
              '[]'::jsonb);
          ELSE
            RETURN value;
        END CASE;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION audit_redact(jsonb)`);
  }
}
