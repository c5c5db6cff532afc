import { rewriteRisks } from './database-role-check';

const NONE = {
  role: 'ymera_app',
  superuser: false,
  owner: false,
  schema_owner: false,
  function_owner: false,
  can_update: false,
  can_delete: false,
  can_truncate: false,
  can_trigger: false,
  can_set_replication_role: false,
};

describe('rewriteRisks', () => {
  it('finds none for a role that may only read and append', () => {
    expect(rewriteRisks(NONE)).toEqual([]);
  });

  it('names a superuser once, whatever else it may do', () => {
    expect(rewriteRisks({ ...NONE, superuser: true, owner: true, can_delete: true })).toEqual([
      'it is a superuser',
    ]);
  });

  it.each([
    ['owner', 'it owns audit_logs'],
    ['schema_owner', 'it owns the schema of audit_logs'],
    ['function_owner', 'it owns the trigger functions of audit_logs'],
    ['can_update', 'it may UPDATE audit_logs'],
    ['can_delete', 'it may DELETE from audit_logs'],
    ['can_truncate', 'it may TRUNCATE audit_logs'],
    ['can_trigger', 'it may create triggers on audit_logs'],
    ['can_set_replication_role', 'it may SET session_replication_role'],
  ])('names %s', (right, why) => {
    expect(rewriteRisks({ ...NONE, [right]: true })).toEqual([why]);
  });

  it('names every right it finds, in order', () => {
    expect(rewriteRisks({ ...NONE, can_truncate: true, owner: true })).toEqual([
      'it owns audit_logs',
      'it may TRUNCATE audit_logs',
    ]);
  });
});
