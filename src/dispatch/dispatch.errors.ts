import { DomainError, ProblemTypes } from '../common/errors/domain-error';

export enum DispatchErrorCode {
  EndpointRefused = 'endpoint-refused',
  AgentCardUnreachable = 'agent-card-unreachable',
  AgentCardInvalid = 'agent-card-invalid',
}

export const DISPATCH_PROBLEM_TYPES: ProblemTypes<DispatchErrorCode> = {
  [DispatchErrorCode.EndpointRefused]: {
    status: 400,
    title: 'Endpoint refused',
    meaning:
      'The agent endpointUrl (or webhook url) is refused by the SSRF policy (not http(s), credentials, unresolvable, link-local or metadata, non-public and not allow-listed)',
  },
  [DispatchErrorCode.AgentCardUnreachable]: {
    status: 400,
    title: 'Agent card unreachable',
    meaning:
      'An a2a agent: its card (<endpointUrl>/.well-known/agent-card.json) could not be read (no answer, timeout, non-200); the detail says which',
  },
  [DispatchErrorCode.AgentCardInvalid]: {
    status: 400,
    title: 'Agent card invalid',
    meaning:
      'An a2a agent: its card is not a usable A2A agent card (not JSON, no JSON-RPC interface, skill ids that are not capabilities); the detail says what',
  },
};

export type EndpointRefusal =
  | 'invalid_url'
  | 'scheme'
  | 'credentials'
  | 'unresolvable'
  | 'forbidden_address'
  | 'not_allowlisted';

/**
 * An endpoint the policy refuses. `reason` tells a refusal that can never change
 * ('forbidden_address', 'not_allowlisted', ...) from a name that did not resolve this time: the
 * registry answers 400 with the message (the exception filter), the dispatcher fails or retries
 * the attempt.
 */
export class EndpointRefusedError extends DomainError<DispatchErrorCode> {
  constructor(
    readonly reason: EndpointRefusal,
    message: string,
  ) {
    super(DispatchErrorCode.EndpointRefused, message, DISPATCH_PROBLEM_TYPES);
  }
}

/**
 * An A2A agent card that could not be read (`agent-card-unreachable`: no answer, timeout,
 * non-200) or is not usable (`agent-card-invalid`). The registry answers 400 with the message;
 * the dispatcher retries an unreachable card and fails the attempt on an invalid one.
 */
export class AgentCardError extends DomainError<DispatchErrorCode> {
  constructor(
    code: DispatchErrorCode.AgentCardUnreachable | DispatchErrorCode.AgentCardInvalid,
    message: string,
  ) {
    super(code, message, DISPATCH_PROBLEM_TYPES);
  }
}
