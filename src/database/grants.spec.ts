import { ident, serviceGrantStatements } from './grants';

describe('ident', () => {
  it('quotes an identifier, doubling any quote inside', () => {
    expect(ident('ymera_app')).toBe('"ymera_app"');
    expect(ident('a"b; DROP TABLE users; --')).toBe('"a""b; DROP TABLE users; --"');
  });
});

describe('serviceGrantStatements', () => {
  it('revokes everything before granting, then narrows audit_logs, task_events and migrations', () => {
    expect(serviceGrantStatements('public', 'ymera_app', 'migrations')).toEqual([
      'GRANT USAGE ON SCHEMA "public" TO "ymera_app"',
      'REVOKE CREATE ON SCHEMA "public" FROM "ymera_app"',
      'REVOKE ALL ON ALL TABLES IN SCHEMA "public" FROM "ymera_app"',
      'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "public" TO "ymera_app"',
      'REVOKE UPDATE, DELETE ON "public".audit_logs FROM "ymera_app"',
      'REVOKE UPDATE, DELETE ON "public".task_events FROM "ymera_app"',
      'REVOKE ALL ON "public"."migrations" FROM "ymera_app"',
      'REVOKE ALL ON ALL SEQUENCES IN SCHEMA "public" FROM "ymera_app"',
      'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "public" TO "ymera_app"',
    ]);
  });

  it('quotes a role name that is not a plain identifier', () => {
    for (const statement of serviceGrantStatements('public', 'Ymera-App"', 'migrations')) {
      expect(statement).toContain('"Ymera-App"""');
    }
  });
});
