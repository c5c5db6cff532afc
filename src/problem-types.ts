import { AGENT_API_PROBLEM_TYPES, AgentApiErrorCode } from './agent-api/agent-api.errors';
import { AGENTS_PROBLEM_TYPES, AgentsErrorCode } from './agents/agents.errors';
import { API_KEYS_PROBLEM_TYPES, ApiKeysErrorCode } from './api-keys/api-keys.errors';
import { AUTH_PROBLEM_TYPES, AuthErrorCode } from './auth/auth.errors';
import { COMMON_PROBLEM_TYPES, CommonErrorCode } from './common/errors/common.errors';
import { documentedProblemTypes, ProblemCatalog, ProblemTypes } from './common/errors/domain-error';
import { DISPATCH_PROBLEM_TYPES, DispatchErrorCode } from './dispatch/dispatch.errors';
import { TASKS_PROBLEM_TYPES, TasksErrorCode } from './tasks/tasks.errors';
import { WEBHOOKS_PROBLEM_TYPES, WebhooksErrorCode } from './webhooks/webhooks.errors';

/** Every code of every module. */
export type ProblemCode =
  | CommonErrorCode
  | AuthErrorCode
  | AgentsErrorCode
  | TasksErrorCode
  | DispatchErrorCode
  | ApiKeysErrorCode
  | AgentApiErrorCode
  | WebhooksErrorCode;

/**
 * Each module's table of problem types (its `<module>.errors.ts`). The exception filter answers a
 * DomainError from its own module's table; this one brings them together for the documentation:
 * the OpenAPI document lists them, and unit tests hold the README's "Errors" table to them. A new
 * module's errors.ts belongs here (problem-types.spec.ts fails until it is).
 */
export const PROBLEM_TYPES_BY_MODULE = {
  common: COMMON_PROBLEM_TYPES,
  auth: AUTH_PROBLEM_TYPES,
  agents: AGENTS_PROBLEM_TYPES,
  tasks: TASKS_PROBLEM_TYPES,
  dispatch: DISPATCH_PROBLEM_TYPES,
  'api-keys': API_KEYS_PROBLEM_TYPES,
  'agent-api': AGENT_API_PROBLEM_TYPES,
  webhooks: WEBHOOKS_PROBLEM_TYPES,
} as const;

/** Every code's status and title in one record: a code of ProblemCode missing here fails to compile. */
export const ALL_PROBLEM_TYPES: ProblemTypes<ProblemCode> = {
  ...COMMON_PROBLEM_TYPES,
  ...AUTH_PROBLEM_TYPES,
  ...AGENTS_PROBLEM_TYPES,
  ...TASKS_PROBLEM_TYPES,
  ...DISPATCH_PROBLEM_TYPES,
  ...API_KEYS_PROBLEM_TYPES,
  ...AGENT_API_PROBLEM_TYPES,
  ...WEBHOOKS_PROBLEM_TYPES,
};

export const PROBLEM_CATALOG: ProblemCatalog = {
  types: Object.entries(PROBLEM_TYPES_BY_MODULE).flatMap(([module, types]) =>
    documentedProblemTypes<string>(module, types),
  ),
  sharedStatusCodes: {
    400: CommonErrorCode.ValidationFailed,
    401: AuthErrorCode.TokenRequired,
    403: AuthErrorCode.RoleRequired,
    413: CommonErrorCode.PayloadTooLarge,
    415: CommonErrorCode.UnsupportedMediaType,
    429: CommonErrorCode.RateLimited,
  },
};
