import { Artifact, Message, Part, Task, TaskState } from '@a2a-js/sdk';
import { A2AError, JsonRpcTransportError } from '@a2a-js/sdk/errors';
import { JsonObject, JsonValue } from '../common/json';
import { A2aFetchError, A2aStatusError } from './a2a-fetch';
import {
  DispatchOutcome,
  interrupted,
  isRetryableStatus,
  MAX_REPLY_BYTES,
  permanent,
  refusedOutcome,
  retryable,
} from './classify';
import { AgentCardError, DispatchErrorCode, EndpointRefusedError } from './dispatch.errors';

/** Longest piece of an agent's own text kept in an error (docs/agent-protocol.md). */
export const MAX_AGENT_TEXT = 1000;

/** A JSON-RPC answer that carried a result came with HTTP 200 (any other status is an error). */
const RPC_OK = 200;

/** JSON-RPC "internal error": the agent failed on its side, as an HTTP 5xx would say. */
const JSON_RPC_INTERNAL_ERROR = -32603;

/** The 0.3 spelling of each state: what docs/agent-protocol.md, errors and logs use. */
const STATE_NAMES: Partial<Record<TaskState, string>> = {
  [TaskState.TASK_STATE_SUBMITTED]: 'submitted',
  [TaskState.TASK_STATE_WORKING]: 'working',
  [TaskState.TASK_STATE_COMPLETED]: 'completed',
  [TaskState.TASK_STATE_FAILED]: 'failed',
  [TaskState.TASK_STATE_CANCELED]: 'canceled',
  [TaskState.TASK_STATE_INPUT_REQUIRED]: 'input-required',
  [TaskState.TASK_STATE_REJECTED]: 'rejected',
  [TaskState.TASK_STATE_AUTH_REQUIRED]: 'auth-required',
};

export function stateName(state: TaskState | undefined): string {
  return (state !== undefined && STATE_NAMES[state]) || 'unknown';
}

/** Still running on the agent: Ymera polls `tasks/get` until the task leaves these. */
export function isRunning(task: Task): boolean {
  const state = task.status?.state;
  return state === TaskState.TASK_STATE_SUBMITTED || state === TaskState.TASK_STATE_WORKING;
}

function bounded(text: string): string {
  return text.length > MAX_AGENT_TEXT ? `${text.slice(0, MAX_AGENT_TEXT - 1)}…` : text;
}

/**
 * A part as a result holds it, in the A2A 0.3 JSON spelling (docs/agent-protocol.md, "A2A
 * agents"): `{ kind: "text", text }`, `{ kind: "data", data }`, `{ kind: "file", url | bytes
 * (base64), mediaType?, filename? }`, with `metadata` when the part has some.
 */
export function partJson(part: Part): JsonObject {
  const content = part.content;
  let json: JsonObject;
  switch (content?.$case) {
    case 'text':
      json = { kind: 'text', text: content.value };
      break;
    case 'data':
      json = { kind: 'data', data: (content.value ?? null) as JsonValue };
      break;
    case 'url':
      json = { kind: 'file', url: content.value };
      break;
    case 'raw':
      json = { kind: 'file', bytes: Buffer.from(content.value).toString('base64') };
      break;
    default:
      json = { kind: 'unknown' };
  }
  if (json.kind === 'file') {
    if (part.mediaType) json.mediaType = part.mediaType;
    if (part.filename) json.filename = part.filename;
  }
  if (part.metadata && Object.keys(part.metadata).length > 0) {
    json.metadata = part.metadata;
  }
  return json;
}

function artifactJson(artifact: Artifact): JsonObject {
  const json: JsonObject = { artifactId: artifact.artifactId };
  if (artifact.name) json.name = artifact.name;
  if (artifact.description) json.description = artifact.description;
  json.parts = (artifact.parts ?? []).map(partJson);
  if (artifact.metadata && Object.keys(artifact.metadata).length > 0) {
    json.metadata = artifact.metadata;
  }
  return json;
}

/** The text parts of the task's status message: what the agent said about its state. */
function statusText(task: Task): string {
  const parts = task.status?.message?.parts ?? [];
  return bounded(
    parts
      .map((part) => (part.content?.$case === 'text' ? part.content.value : ''))
      .filter((text) => text.length > 0)
      .join(' '),
  );
}

function withText(error: string, task: Task): string {
  const text = statusText(task);
  return text ? `${error}: ${text}` : error;
}

/**
 * docs/agent-protocol.md, "A2A agents": what a task the agent no longer works on means for the
 * attempt. `completed` succeeds with the artifacts as result; `failed` and `rejected` fail at once,
 * and so do `input-required` and `auth-required` (Ymera has nobody to ask) and a task the agent
 * cancelled itself.
 */
export function taskOutcome(task: Task): DispatchOutcome {
  const state = task.status?.state;
  const name = stateName(state);
  switch (state) {
    case TaskState.TASK_STATE_COMPLETED:
      return {
        outcome: 'succeeded',
        httpStatus: RPC_OK,
        result: (task.artifacts ?? []).map(artifactJson),
      };
    case TaskState.TASK_STATE_FAILED:
    case TaskState.TASK_STATE_REJECTED:
      return permanent(
        withText(`the A2A agent ${name === 'failed' ? 'failed' : 'rejected'} the task`, task),
      );
    case TaskState.TASK_STATE_INPUT_REQUIRED:
    case TaskState.TASK_STATE_AUTH_REQUIRED:
      return permanent(
        withText(
          `the A2A agent asked for ${name === 'input-required' ? 'more input' : 'authentication'} (${name}), which Ymera cannot give`,
          task,
        ),
      );
    case TaskState.TASK_STATE_CANCELED:
      return permanent(withText('the A2A agent cancelled the task', task));
    default:
      return permanent(`the A2A agent answered a task in an unknown state (${name})`);
  }
}

/** A direct reply (a message, no task): completed, with the message's parts as one entry. */
export function messageOutcome(message: Message): DispatchOutcome {
  return {
    outcome: 'succeeded',
    httpStatus: RPC_OK,
    result: [{ messageId: message.messageId, parts: (message.parts ?? []).map(partJson) }],
  };
}

/**
 * What a request of the A2A client that threw means for the attempt: like http, no answer, a
 * timeout, 408, 429, 5xx and a JSON-RPC internal error are retried; a refused endpoint, an invalid
 * card, another HTTP status, a JSON-RPC error or a reply that is not A2A fail it.
 */
export function errorOutcome(error: unknown, timeoutMs: number): DispatchOutcome {
  if (error instanceof EndpointRefusedError) return refusedOutcome(error);
  if (error instanceof AgentCardError) {
    return error.code === DispatchErrorCode.AgentCardUnreachable
      ? retryable(error.message)
      : permanent(error.message);
  }
  if (error instanceof A2aFetchError) {
    switch (error.reply.kind) {
      case 'timeout':
        return retryable(`the agent did not answer within ${timeoutMs} ms`);
      case 'network':
        return retryable('could not reach the agent');
      case 'aborted':
        return interrupted(error.reply.reason);
      case 'response':
        return permanent(
          `the agent's reply is larger than ${MAX_REPLY_BYTES} bytes`,
          error.reply.status,
        );
    }
  }
  if (error instanceof A2aStatusError) {
    const message = `the agent answered HTTP ${error.status}`;
    return isRetryableStatus(error.status)
      ? retryable(message, error.status)
      : permanent(message, error.status);
  }
  if (error instanceof JsonRpcTransportError && error.envelopeCode === JSON_RPC_INTERNAL_ERROR) {
    return retryable(bounded(`the A2A agent answered an internal error: ${error.message}`));
  }
  if (error instanceof A2AError) {
    return permanent(bounded(`the A2A agent answered an error (${error.name}): ${error.message}`));
  }
  return permanent("the agent's reply is not a valid A2A answer");
}
