import { DomainError, ProblemTypes } from '../common/errors/domain-error';

export enum AgentsErrorCode {
  AgentNotFound = 'agent-not-found',
}

export const AGENTS_PROBLEM_TYPES: ProblemTypes<AgentsErrorCode> = {
  [AgentsErrorCode.AgentNotFound]: {
    status: 404,
    title: 'Agent not found',
    meaning: 'No such agent, or it is not yours',
  },
};

export class AgentsError extends DomainError<AgentsErrorCode> {
  constructor(code: AgentsErrorCode, message: string) {
    super(code, message, AGENTS_PROBLEM_TYPES);
  }
}
