import { DomainError, ProblemTypes } from '../common/errors/domain-error';

export enum AgentApiErrorCode {
  AttemptNotRunning = 'attempt-not-running',
}

export const AGENT_API_PROBLEM_TYPES: ProblemTypes<AgentApiErrorCode> = {
  [AgentApiErrorCode.AttemptNotRunning]: {
    status: 409,
    title: 'Attempt not running',
    meaning:
      "The agent's report names an attempt that is not running on it: it finished, timed out, " +
      'was cancelled or already reported (the first answer wins), or is not that number',
  },
};

export class AgentApiError extends DomainError<AgentApiErrorCode> {
  constructor(code: AgentApiErrorCode, message: string) {
    super(code, message, AGENT_API_PROBLEM_TYPES);
  }
}
