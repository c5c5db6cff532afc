import { DomainError, ProblemTypes } from '../common/errors/domain-error';

export enum AuthErrorCode {
  InvalidCredentials = 'invalid-credentials',
  InvalidRefreshToken = 'invalid-refresh-token',
  AccountTaken = 'account-taken',
  UserNotFound = 'user-not-found',
  TokenRequired = 'token-required',
  TokenExpired = 'token-expired',
  InvalidToken = 'invalid-token',
  AccountUnavailable = 'account-unavailable',
  RoleRequired = 'role-required',
  InvalidApiKey = 'invalid-api-key',
  ApiKeyExpired = 'api-key-expired',
  InvalidAgentToken = 'invalid-agent-token',
  AgentTokenRequired = 'agent-token-required',
  AgentTokenNotAccepted = 'agent-token-not-accepted',
  ScopeRequired = 'scope-required',
}

export const AUTH_PROBLEM_TYPES: ProblemTypes<AuthErrorCode> = {
  [AuthErrorCode.InvalidCredentials]: {
    status: 401,
    title: 'Invalid credentials',
    meaning: 'Login refused: unknown user, wrong password or disabled account (one answer for all)',
  },
  [AuthErrorCode.InvalidRefreshToken]: {
    status: 401,
    title: 'Invalid refresh token',
    meaning: 'The refresh token is unknown, expired, revoked or was used already; log in again',
  },
  [AuthErrorCode.AccountTaken]: {
    status: 409,
    title: 'Username or email taken',
    meaning: 'Registration refused: the username or the email is already in use',
  },
  [AuthErrorCode.UserNotFound]: {
    status: 404,
    title: 'User not found',
    meaning: 'The account of the token no longer exists',
  },
  [AuthErrorCode.TokenRequired]: {
    status: 401,
    title: 'Access token required',
    meaning: 'No bearer token was sent (WWW-Authenticate: Bearer)',
  },
  [AuthErrorCode.TokenExpired]: {
    status: 401,
    title: 'Access token expired',
    meaning: 'The access token expired; get a new one from POST /api/v1/auth/refresh',
  },
  [AuthErrorCode.InvalidToken]: {
    status: 401,
    title: 'Access token invalid',
    meaning: 'The access token is malformed, forged or signed with another key; log in again',
  },
  [AuthErrorCode.AccountUnavailable]: {
    status: 401,
    title: 'Account unavailable',
    meaning: "The token's account is disabled or no longer exists",
  },
  [AuthErrorCode.RoleRequired]: {
    status: 403,
    title: 'Role required',
    meaning: "The route needs a role the caller's account does not have (admin)",
  },
  [AuthErrorCode.InvalidApiKey]: {
    status: 401,
    title: 'API key invalid',
    meaning: 'The API key is unknown or was revoked',
  },
  [AuthErrorCode.ApiKeyExpired]: {
    status: 401,
    title: 'API key expired',
    meaning: 'The API key is past its expiresAt; create a new one',
  },
  [AuthErrorCode.InvalidAgentToken]: {
    status: 401,
    title: 'Agent token invalid',
    meaning:
      "The agent token is unknown, or was replaced when the agent's credentials were rotated",
  },
  [AuthErrorCode.AgentTokenRequired]: {
    status: 401,
    title: 'Agent token required',
    meaning:
      "The agent's own API (/api/v1/agent/...) takes only an agent token, not a user's token or API key",
  },
  [AuthErrorCode.AgentTokenNotAccepted]: {
    status: 401,
    title: 'Agent token not accepted',
    meaning: "An agent token works only on the agent's own API (/api/v1/agent/...)",
  },
  [AuthErrorCode.ScopeRequired]: {
    status: 403,
    title: 'Scope required',
    meaning:
      "The API key's scopes do not cover the route; admin, auth, users and api-keys routes take no API key",
  },
};

export class AuthError extends DomainError<AuthErrorCode> {
  constructor(code: AuthErrorCode, message: string) {
    super(code, message, AUTH_PROBLEM_TYPES);
  }
}
