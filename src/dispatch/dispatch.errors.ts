import { DomainError, ProblemTypes } from '../common/errors/domain-error';

export enum DispatchErrorCode {
  EndpointRefused = 'endpoint-refused',
}

export const DISPATCH_PROBLEM_TYPES: ProblemTypes<DispatchErrorCode> = {
  [DispatchErrorCode.EndpointRefused]: {
    status: 400,
    title: 'Endpoint refused',
    meaning:
      'The agent endpointUrl is refused by the SSRF policy (not http(s), credentials, unresolvable, link-local or metadata, non-public and not allow-listed)',
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
