/**
 * What an API key may do (README, "Machine identities"): each scope admits the routes marked with
 * it (@Scopes) and nothing else. Routes marked with none (admin, auth, users, API keys) admit no key.
 */
export const API_KEY_SCOPES = [
  'agents:read',
  'agents:write',
  'tasks:read',
  'tasks:write',
  'webhooks:read',
  'webhooks:write',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
