/** Every action the audit trail records; auditors filter on these names. */
export const AuditAction = {
  AuthRegister: 'auth.register',
  AuthLogin: 'auth.login',
  AuthRefresh: 'auth.refresh',
  AuthLogout: 'auth.logout',
  AuthTokenReuse: 'auth.token_reuse',
  AdminCreate: 'admin.create',
  AgentCreate: 'agent.create',
  AgentUpdate: 'agent.update',
  AgentDelete: 'agent.delete',
  AgentCredentialsRotate: 'agent.credentials_rotate',
  ApiKeyCreate: 'apikey.create',
  ApiKeyRevoke: 'apikey.revoke',
  TaskCreate: 'task.create',
  TaskCancel: 'task.cancel',
  TaskRetry: 'task.retry',
  TaskComplete: 'task.complete',
  TaskFail: 'task.fail',
  WebhookCreate: 'webhook.create',
  WebhookDelete: 'webhook.delete',
} as const;
export type AuditAction = (typeof AuditAction)[keyof typeof AuditAction];

/** Every AuditAction value, as the OpenAPI document lists them. */
export const AUDIT_ACTIONS: readonly AuditAction[] = Object.values(AuditAction);
