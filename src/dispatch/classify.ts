import { JsonValue } from '../common/json';
import { EndpointRefusedError } from './dispatch.errors';

/** Replies larger than this are refused (docs/agent-protocol.md), counted while the body streams in. */
export const MAX_REPLY_BYTES = 1024 * 1024;
/** Of a non-2xx reply, only this much of the body is read: its start explains the failure. */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** The most of an agent's own message kept with a failed attempt (docs/agent-protocol.md). */
export const MAX_AGENT_MESSAGE_CHARS = 1000;

/**
 * Control and format characters (line breaks, escapes, bidi overrides), and terminal escape
 * sequences whole: never shown as they are.
 */
// eslint-disable-next-line no-control-regex -- an escape (ESC [ ... letter) is what it matches
const CONTROL = /(?:\u001b\[[0-9;?]*[ -/]*[@-~]|[\p{Cc}\p{Cf}\u2028\u2029])+/gu;

/**
 * What the agent said about its failure, fit to show its task's owner: the `detail`, `error` or
 * `message` field of a JSON object (a string; `error.message` when `error` is an object), or else
 * the start of the body as text. Control characters become spaces, whitespace is collapsed, and it
 * is cut at MAX_AGENT_MESSAGE_CHARS characters. Empty when the body says nothing.
 */
export function agentMessage(body: Buffer): string {
  return cleanAgentText(messageOf(body));
}

/**
 * Text an agent wrote, fit to show its task's owner: control characters become spaces, whitespace
 * is collapsed, and it is cut at MAX_AGENT_MESSAGE_CHARS characters.
 */
export function cleanAgentText(message: string): string {
  const clean = message.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim();
  const characters = Array.from(clean);
  return characters.length > MAX_AGENT_MESSAGE_CHARS
    ? `${characters.slice(0, MAX_AGENT_MESSAGE_CHARS - 1).join('')}…`
    : clean;
}

function messageOf(body: Buffer): string {
  const text = body.toString('utf8');
  const parsed = parseJson(body);
  let message = text;
  if (parsed.ok && typeof parsed.value === 'object' && parsed.value !== null) {
    const fields = parsed.value as Record<string, unknown>;
    const error = fields.error as { message?: unknown } | null | undefined;
    const candidates = [
      fields.detail,
      fields.error,
      typeof error === 'object' && error !== null ? error.message : undefined,
      fields.message,
    ];
    message =
      candidates.find(
        (value): value is string => typeof value === 'string' && value.trim() !== '',
      ) ?? text;
  }
  return message;
}

/** "the agent answered HTTP 422", and after it what the agent said, when it said something. */
function answered(status: number, body: Buffer): string {
  const said = agentMessage(body);
  return said ? `the agent answered HTTP ${status}: ${said}` : `the agent answered HTTP ${status}`;
}

/** What came back from one request to an agent, before any interpretation. */
export type AgentReply =
  | { kind: 'response'; status: number; body: Buffer; oversized: boolean }
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'network'; code?: string; message: string }
  | { kind: 'aborted'; reason: string };

export type DispatchOutcome =
  | { outcome: 'succeeded'; httpStatus: number; result: JsonValue }
  | { outcome: 'retryable_error' | 'permanent_error'; httpStatus: number | null; error: string }
  /** The worker stopped (DispatchOptions.signal) before the agent answered: retried elsewhere. */
  | { outcome: 'interrupted'; httpStatus: null; error: string }
  /**
   * 202 Accepted (an http agent's long work): the attempt stays running until the agent posts its
   * result to the agent API, or the attempt's timeout passes (docs/agent-protocol.md, "Long work").
   */
  | { outcome: 'accepted'; httpStatus: 202 };

/** What a dispatch that is over says of its attempt: all but `accepted`. */
export type FinalDispatchOutcome = Exclude<DispatchOutcome, { outcome: 'accepted' }>;

/**
 * The task's owner cancelled it while it was being dispatched (DispatchOptions.cancel): the
 * dispatch stopped and the agent was told. Only a dispatch given `cancel` can end this way.
 */
export interface CancelledOutcome {
  outcome: 'cancelled';
  httpStatus: null;
  error: string;
}

export function retryable(error: string, httpStatus: number | null = null): FinalDispatchOutcome {
  return { outcome: 'retryable_error', httpStatus, error };
}

export function permanent(error: string, httpStatus: number | null = null): FinalDispatchOutcome {
  return { outcome: 'permanent_error', httpStatus, error };
}

export function interrupted(error: string): FinalDispatchOutcome {
  return { outcome: 'interrupted', httpStatus: null, error };
}

/** An endpoint the policy refused right before sending: a name that did not resolve may later. */
export function refusedOutcome(error: EndpointRefusedError): DispatchOutcome {
  const reason = `the agent's endpoint is refused: ${error.message}`;
  return error.reason === 'unresolvable' ? retryable(reason) : permanent(reason);
}

/** 408, 429 and 5xx may succeed later; every other non-2xx answer never will. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * docs/agent-protocol.md, "The reply": 202 accepts the work (its result comes later, through the
 * agent API); another 2xx with a JSON object holding `result` completes the task; 408, 429,
 * 5xx, timeouts and connection errors are retried; any other answer (other 4xx, redirects, a 2xx
 * that is not JSON, has no `result` or is over 1 MiB) fails the task at once.
 */
export function classifyReply(reply: AgentReply): DispatchOutcome {
  switch (reply.kind) {
    case 'timeout':
      return retryable(`the agent did not answer within ${reply.timeoutMs} ms`);
    case 'network':
      // The low-level cause (refused, reset, unreachable) is the operator's, in the worker's log:
      // shown to users, it would tell them which ports of a host are open.
      return retryable('could not reach the agent');
    case 'aborted':
      return interrupted(reply.reason);
    case 'response':
      break;
  }
  const { status } = reply;
  if (status === 202) return { outcome: 'accepted', httpStatus: 202 };
  if (status < 200 || status >= 300) {
    if (isRetryableStatus(status)) return retryable(answered(status, reply.body), status);
    if (status >= 300 && status < 400) {
      return permanent(`the agent answered HTTP ${status}; redirects are not followed`, status);
    }
    return permanent(answered(status, reply.body), status);
  }
  if (reply.oversized) {
    return permanent(`the agent's reply is larger than ${MAX_REPLY_BYTES} bytes`, status);
  }
  const parsed = parseJson(reply.body);
  if (!parsed.ok) return permanent("the agent's reply is not JSON", status);
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return permanent("the agent's reply is not a JSON object", status);
  }
  if (!Object.prototype.hasOwnProperty.call(value, 'result')) {
    return permanent('the agent\'s reply has no "result"', status);
  }
  return {
    outcome: 'succeeded',
    httpStatus: status,
    result: (value as { result: JsonValue }).result,
  };
}
