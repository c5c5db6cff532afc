/** Every action the audit trail records. API.md lists the minimum; auditors filter on these names. */
export const AuditAction = {
  AuthRegister: 'auth.register',
  AuthLogin: 'auth.login',
  AuthRefresh: 'auth.refresh',
  AuthLogout: 'auth.logout',
  AuthTokenReuse: 'auth.token_reuse',
  AdminCreate: 'admin.create',
} as const;
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];
