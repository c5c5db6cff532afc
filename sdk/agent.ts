import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createYmeraClient, unwrap, type components, type YmeraClientOptions } from './client';
import type { TaskCancel, TaskDispatch } from './protocol';

/**
 * The agent's side of docs/agent-protocol.md: verify a request from Ymera, read the event it
 * carries, and answer it. `verifyDispatch` and the reply helpers fit any HTTP framework that
 * gives the raw body; `createAgentHandler` is the whole loop for a `node:http` server;
 * `createAgentApi` calls the agent's own API (heartbeats, and the progress and result of work
 * accepted with `acceptedReply()`).
 */

/** Request headers of every message Ymera sends an agent (lower case, as Node exposes them). */
export const DispatchHeader = {
  Event: 'x-ymera-event',
  TaskId: 'x-ymera-task-id',
  Attempt: 'x-ymera-attempt',
  Timestamp: 'x-ymera-timestamp',
  Signature: 'x-ymera-signature',
} as const;

// The message bodies are the types generated from the OpenAPI document's `webhooks` (sdk/protocol.ts).
export type { TaskCancel, TaskDispatch } from './protocol';

export type DispatchEvent =
  | {
      type: 'task.dispatch';
      /** X-Ymera-Timestamp, Unix seconds */ timestamp: number;
      body: TaskDispatch;
    }
  | { type: 'task.cancel'; timestamp: number; body: TaskCancel };

export type DispatchEventType = DispatchEvent['type'];

export type DispatchRejection =
  /** No X-Ymera-Signature, or not the signature of this body and timestamp with this secret. */
  | 'bad-signature'
  /** No X-Ymera-Timestamp, or not Unix seconds. */
  | 'bad-timestamp'
  /** Signed, but the timestamp is further from now than the tolerance: possibly a replay. */
  | 'stale-timestamp'
  /** An X-Ymera-Event this library does not know. */
  | 'unknown-event'
  /** Signed, but not the JSON body its event has. */
  | 'malformed-body';

/** Why a request is not a message from Ymera to answer. */
export class DispatchVerificationError extends Error {
  override readonly name = 'DispatchVerificationError';

  constructor(
    readonly reason: DispatchRejection,
    message: string,
  ) {
    super(message);
  }

  /** 401 when the request cannot be trusted, 400 when a trusted request makes no sense. */
  get status(): 400 | 401 {
    return this.reason === 'unknown-event' || this.reason === 'malformed-body' ? 400 : 401;
  }
}

export interface VerifyDispatchInput {
  /** The request body exactly as received, before any JSON parsing. */
  rawBody: string | Uint8Array;
  /** The request headers: Node's `req.headers`, or a fetch `Headers`. */
  headers: IncomingHttpHeaders | Headers;
  /** The agent's signing secret, as Ymera returned it at registration. */
  signingSecret: string;
  /** How far X-Ymera-Timestamp may be from now, in seconds; 300 by default. */
  toleranceS?: number;
  /** The time to compare the timestamp with, in milliseconds (Date.now() by default). */
  now?: number;
}

const SIGNATURE_SCHEME = 'sha256=';
const EVENT_TYPES: readonly DispatchEventType[] = ['task.dispatch', 'task.cancel'];
const PRIORITIES: readonly TaskDispatch['priority'][] = ['low', 'normal', 'high', 'critical'];

function header(headers: IncomingHttpHeaders | Headers, name: string): string | undefined {
  const value =
    typeof (headers as Headers).get === 'function'
      ? (headers as Headers).get(name)
      : (headers as IncomingHttpHeaders)[name];
  return typeof value === 'string' ? value : undefined;
}

function signatureMatches(
  secret: string,
  timestamp: string,
  rawBody: string | Uint8Array,
  given: string,
) {
  const expected = Buffer.from(
    SIGNATURE_SCHEME +
      createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex'),
  );
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function namesAttempt(value: unknown): value is TaskCancel {
  return (
    isObject(value) &&
    typeof value.taskId === 'string' &&
    Number.isInteger(value.attempt) &&
    (value.attempt as number) >= 1
  );
}

/**
 * Exactly `{ taskId, attempt }`. X-Ymera-Event is not covered by the signature, so a signed
 * dispatch body relabelled `task.cancel` must not pass for a cancel: it has more fields.
 */
function isTaskCancel(value: unknown): value is TaskCancel {
  return namesAttempt(value) && Object.keys(value).length === 2;
}

/** A cancel body relabelled `task.dispatch` lacks taskType and the rest: refused here. */
function isTaskDispatch(value: unknown): value is TaskDispatch {
  if (!namesAttempt(value)) return false;
  const { taskType, name, parameters, priority } = value as unknown as Record<string, unknown>;
  return (
    typeof taskType === 'string' &&
    typeof name === 'string' &&
    isObject(parameters) &&
    PRIORITIES.includes(priority as TaskDispatch['priority'])
  );
}

/**
 * Checks that a request comes from Ymera and returns the event it carries; throws a
 * DispatchVerificationError otherwise. In this order: the signature (HMAC-SHA256 over
 * `timestamp + "." + raw body`, compared in constant time), the timestamp's age, the event and
 * its body. X-Ymera-Event is not signed, so the body must have exactly the shape of the event it
 * claims (a dispatch's fields, or a cancel's `{ taskId, attempt }` and nothing else); X-Ymera-Task-Id
 * and X-Ymera-Attempt are copies for logs and routing. Without X-Ymera-Event the event is
 * `task.dispatch`.
 */
export function verifyDispatch(input: VerifyDispatchInput): DispatchEvent {
  const { rawBody, headers, signingSecret, toleranceS = 300, now = Date.now() } = input;
  const timestamp = header(headers, DispatchHeader.Timestamp);
  if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) {
    throw new DispatchVerificationError(
      'bad-timestamp',
      'X-Ymera-Timestamp is missing or not Unix seconds',
    );
  }
  const signature = header(headers, DispatchHeader.Signature);
  if (signature === undefined || !signatureMatches(signingSecret, timestamp, rawBody, signature)) {
    throw new DispatchVerificationError(
      'bad-signature',
      'X-Ymera-Signature does not match the body',
    );
  }
  const seconds = Number(timestamp);
  if (Math.abs(now / 1000 - seconds) > toleranceS) {
    throw new DispatchVerificationError(
      'stale-timestamp',
      `X-Ymera-Timestamp is more than ${toleranceS} s from this agent's clock`,
    );
  }
  const type = header(headers, DispatchHeader.Event) ?? 'task.dispatch';
  if (!EVENT_TYPES.includes(type as DispatchEventType)) {
    throw new DispatchVerificationError(
      'unknown-event',
      `unknown X-Ymera-Event "${type.slice(0, 100)}"`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(
      typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8'),
    );
  } catch {
    throw new DispatchVerificationError('malformed-body', 'the body is not JSON');
  }
  if (type === 'task.cancel') {
    if (!isTaskCancel(body))
      throw new DispatchVerificationError('malformed-body', 'not a task.cancel body');
    return { type, timestamp: seconds, body };
  }
  if (!isTaskDispatch(body)) {
    throw new DispatchVerificationError('malformed-body', 'not a task.dispatch body');
  }
  return { type: 'task.dispatch', timestamp: seconds, body };
}

/** An HTTP answer, serialised: write `status`, `headers` and `body` with any framework. */
export interface AgentReply {
  status: number;
  headers: { 'content-type': string };
  body: string;
}

/** The task is done: 200 `{ result }`, which completes it with `result` stored (any JSON value). */
export function resultReply(result: unknown): AgentReply {
  return {
    status: 200,
    headers: { 'content-type': 'application/json' },
    // JSON has no undefined: `{ result: undefined }` would serialise without "result" and fail.
    body: JSON.stringify({ result: result === undefined ? null : result }),
  };
}

/**
 * The work is accepted and goes on after the answer: 202. The attempt stays running until the
 * agent posts its result (or error) with `createAgentApi(...).result` / `.fail`, or the attempt's
 * timeout passes (docs/agent-protocol.md, "Long work").
 */
export function acceptedReply(): AgentReply {
  return { status: 202, headers: { 'content-type': 'application/json' }, body: '{}' };
}

function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

/**
 * The task failed: problem details `{ status, detail }` with a status Ymera reads as the protocol
 * says. Retryable (503 by default; 408, 429 or any 5xx) makes Ymera retry while attempts remain;
 * permanent (422 by default; any other 4xx) fails the task at once.
 */
export function errorReply(
  detail: string,
  { retryable, status = retryable ? 503 : 422 }: { retryable: boolean; status?: number },
): AgentReply {
  const fits = retryable
    ? isRetryableStatus(status)
    : status >= 400 && status <= 499 && !isRetryableStatus(status);
  if (!Number.isInteger(status) || !fits) {
    throw new RangeError(
      `HTTP ${status} is not a ${retryable ? 'retryable (408, 429, 5xx)' : 'permanent (4xx)'} status`,
    );
  }
  return {
    status,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify({ status, detail }),
  };
}

/**
 * Thrown by an `onTask` to fail the attempt with this detail: `retryable` asks Ymera to try again
 * later (the model is overloaded), otherwise the task fails now (it asks for something impossible).
 */
export class AgentTaskError extends Error {
  override readonly name = 'AgentTaskError';
  readonly retryable: boolean;
  readonly status: number | undefined;

  constructor(detail: string, options: { retryable: boolean; status?: number }) {
    super(detail);
    this.retryable = options.retryable;
    this.status = options.status;
  }

  get reply(): AgentReply {
    return errorReply(this.message, { retryable: this.retryable, status: this.status });
  }
}

export interface TaskContext {
  /**
   * Aborts when the work is no longer wanted: Ymera cancelled the task (`task.cancel`) or hung up
   * (the attempt timed out). Pass it on to fetch and the like.
   */
  signal: AbortSignal;
}

export interface AgentHandlerOptions {
  signingSecret: string;
  /** Does the task: what it returns is the task's `result`; an AgentTaskError fails it. */
  onTask: (task: TaskDispatch, context: TaskContext) => unknown;
  /** Told of a `task.cancel` (after the running attempt's signal has aborted). */
  onCancel?: (cancel: TaskCancel) => unknown;
  /** Told of anything else `onTask` or `onCancel` throws (answered as a retryable 500). */
  onError?: (error: unknown) => void;
  toleranceS?: number;
  /** Bodies larger than this are answered 413 unread; 4 MiB by default. */
  maxBodyBytes?: number;
}

function send(res: ServerResponse, reply: AgentReply): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(reply.status, reply.headers).end(reply.body);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        resolve(null);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * A `node:http` request listener that is a whole agent: it verifies each request, calls `onTask`
 * for a `task.dispatch` and answers with its result (or its AgentTaskError), and aborts the
 * running attempt's signal on a `task.cancel`.
 *
 * @example
 * createServer(createAgentHandler({ signingSecret, onTask: (task) => summarise(task.parameters) }))
 *   .listen(8080);
 */
export function createAgentHandler(options: AgentHandlerOptions) {
  const {
    signingSecret,
    onTask,
    onCancel,
    onError,
    toleranceS,
    maxBodyBytes = 4 * 1024 * 1024,
  } = options;
  const running = new Map<string, AbortController>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') {
      return send(
        res,
        errorReply('Ymera sends POST requests only', { retryable: false, status: 405 }),
      );
    }
    const rawBody = await readBody(req, maxBodyBytes);
    if (rawBody === null) {
      return send(res, errorReply('the body is too large', { retryable: false, status: 413 }));
    }
    let event: DispatchEvent;
    try {
      event = verifyDispatch({ rawBody, headers: req.headers, signingSecret, toleranceS });
    } catch (error) {
      if (!(error instanceof DispatchVerificationError)) throw error;
      return send(res, errorReply(error.message, { retryable: false, status: error.status }));
    }

    const key = `${event.body.taskId}/${event.body.attempt}`;
    if (event.type === 'task.cancel') {
      running.get(key)?.abort(new Error('the task was cancelled'));
      await onCancel?.(event.body);
      if (!res.headersSent) res.writeHead(204).end();
      return;
    }

    const controller = new AbortController();
    running.set(key, controller);
    // Ymera closes the request when the attempt times out or the task is cancelled.
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('Ymera closed the request'));
    });
    try {
      send(res, resultReply(await onTask(event.body, { signal: controller.signal })));
    } catch (error) {
      if (error instanceof AgentTaskError) return send(res, error.reply);
      // Work stopped because its signal aborted: expected, and Ymera ignores the answer.
      if (!controller.signal.aborted) throw error;
      send(res, errorReply('the attempt was aborted', { retryable: true }));
    } finally {
      if (running.get(key) === controller) running.delete(key);
    }
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      onError?.(error);
      send(res, errorReply('the agent failed', { retryable: true, status: 500 }));
    });
  };
}

export type AgentHeartbeatStatus = NonNullable<components['schemas']['HeartbeatDto']['status']>;
export type AgentProgress = Omit<components['schemas']['ReportProgressDto'], 'attempt'>;
export type TaskStatusAfterReport = components['schemas']['ReportResultResponseDto']['status'];

export interface AgentApiOptions extends Omit<YmeraClientOptions, 'token'> {
  /** The agent's token (`ymra_…`), from POST /api/v1/agents or its credentials rotation. */
  agentToken: string;
}

/** The agent's own API (`/api/v1/agent/...`), called with its agent token. */
export interface AgentApi {
  /** POST /api/v1/agent/heartbeat: keeps the agent `active` (or says it is busy, ...). */
  heartbeat(status?: AgentHeartbeatStatus): Promise<components['schemas']['HeartbeatResponseDto']>;
  /** POST /api/v1/agent/tasks/:id/progress: how far a running attempt got (the latest is kept). */
  progress(taskId: string, attempt: number, progress: AgentProgress): Promise<void>;
  /** POST /api/v1/agent/tasks/:id/result: the attempt's result; the task's status after it. */
  result(taskId: string, attempt: number, result: unknown): Promise<TaskStatusAfterReport>;
  /**
   * POST /api/v1/agent/tasks/:id/result with an error: retryable makes Ymera retry with backoff
   * while attempts remain, otherwise the task fails now. The task's status after it.
   */
  fail(
    taskId: string,
    attempt: number,
    message: string,
    options: { retryable: boolean },
  ): Promise<TaskStatusAfterReport>;
}

/**
 * A client of the agent's own API. A refused call throws a YmeraError: `attempt-not-running`
 * (409) when the attempt is no longer running on the agent (it timed out, was cancelled, or was
 * already reported: the first answer wins), `task-not-found` (404) for a task it never ran.
 *
 * @example
 * const api = createAgentApi({ baseUrl: 'https://ymera.example.com', agentToken });
 * await api.progress(task.taskId, task.attempt, { percent: 50 });
 * await api.result(task.taskId, task.attempt, { summary });
 */
export function createAgentApi(options: AgentApiOptions): AgentApi {
  const { agentToken, ...rest } = options;
  const client = createYmeraClient({ ...rest, token: agentToken });
  const report = async (
    taskId: string,
    body: components['schemas']['ReportResultDto'],
  ): Promise<TaskStatusAfterReport> =>
    unwrap(
      await client.POST('/api/v1/agent/tasks/{id}/result', {
        params: { path: { id: taskId } },
        body,
      }),
    ).status;
  return {
    async heartbeat(status = 'active') {
      return unwrap(await client.POST('/api/v1/agent/heartbeat', { body: { status } }));
    },
    async progress(taskId, attempt, progress) {
      unwrap(
        await client.POST('/api/v1/agent/tasks/{id}/progress', {
          params: { path: { id: taskId } },
          body: { ...progress, attempt },
        }),
      );
    },
    result(taskId, attempt, result) {
      // JSON has no undefined: it is sent as null, like resultReply does.
      const value = (
        result === undefined ? null : result
      ) as components['schemas']['ReportResultDto']['result'];
      return report(taskId, { attempt, result: value });
    },
    fail(taskId, attempt, message, { retryable }) {
      return report(taskId, { attempt, error: { message, retryable } });
    },
  };
}
