import createClient, { type Client, type ClientOptions, type Middleware } from 'openapi-fetch';
import type { components, paths } from './generated/openapi';

/**
 * A typed client of the Ymera HTTP API. The types come from the OpenAPI document (openapi.json),
 * generated into sdk/generated/openapi.ts by `npm run openapi:types`; the HTTP calls are
 * openapi-fetch's. See the README, "TypeScript client".
 */

export type { components, paths };
export type Task = components['schemas']['TaskDto'];
export type TaskStatus = Task['status'];
export type NewTask = components['schemas']['CreateTaskDto'];
export type Session = components['schemas']['AuthResponseDto'];
export type ProblemDetails = components['schemas']['ProblemDetails'];

/** A task in one of these statuses never changes again (README, "How a task runs"). */
export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];

const PROBLEM_TYPE_PREFIX = 'urn:ymera:problem:';

/**
 * A call Ymera answered with an error status: the problem details it sent (README, "Errors").
 * Switch on `code` (or `type`), never on `detail`, which is written for people.
 */
export class YmeraError extends Error {
  override readonly name = 'YmeraError';
  /** The HTTP status. */
  readonly status: number;
  /** `urn:ymera:problem:<code>`, or `about:blank` when the answer was not problem details. */
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  /** The `<code>` of a `urn:ymera:problem:<code>` type; null for any other type. */
  readonly code: string | null;
  /** The path of the request that failed. */
  readonly instance: string | null;
  /** The X-Request-Id to find the request in the server's logs. */
  readonly requestId: string | null;
  /** The whole problem details (with `errors` on validation failures); null when there were none. */
  readonly problem: ProblemDetails | null;

  constructor(
    status: number,
    problem: ProblemDetails | null,
    fallback: { title: string; detail: string },
  ) {
    const title = problem?.title ?? fallback.title;
    const detail = problem?.detail ?? fallback.detail;
    super(`${status} ${title}${detail ? `: ${detail}` : ''}`);
    this.status = status;
    this.type = problem?.type ?? 'about:blank';
    this.title = title;
    this.detail = detail;
    this.code = this.type.startsWith(PROBLEM_TYPE_PREFIX)
      ? this.type.slice(PROBLEM_TYPE_PREFIX.length)
      : null;
    this.instance = problem?.instance ?? null;
    this.requestId = problem?.requestId ?? null;
    this.problem = problem;
  }

  /** From a non-2xx response and its body as openapi-fetch read it (parsed JSON, or text). */
  static fromResponse(response: Response, body: unknown): YmeraError {
    const problem = isProblem(body) ? body : null;
    const text = typeof body === 'string' ? body.slice(0, 500) : '';
    return new YmeraError(response.status, problem, {
      title: response.statusText || `HTTP ${response.status}`,
      detail: text,
    });
  }
}

function isProblem(body: unknown): body is ProblemDetails {
  if (typeof body !== 'object' || body === null) return false;
  const { type, title, status } = body as Record<string, unknown>;
  return typeof type === 'string' && typeof title === 'string' && typeof status === 'number';
}

/** `waitForTask` gave up: the task had not finished within `timeoutMs`. */
export class TaskWaitTimeoutError extends Error {
  override readonly name = 'TaskWaitTimeoutError';

  constructor(
    readonly taskId: string,
    /** The task as last seen, still running. */
    readonly task: Task,
    timeoutMs: number,
  ) {
    super(`task ${taskId} was still ${task.status} after ${timeoutMs} ms`);
  }
}

/**
 * The data of a 2xx answer, or a YmeraError for any other: for calls made with the typed client
 * (`unwrap(await ymera.GET('/api/v1/agents'))`).
 */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (!result.response.ok) throw YmeraError.fromResponse(result.response, result.error);
  return result.data as T;
}

export interface YmeraClientOptions {
  /** Where Ymera listens, without the `/api/v1` prefix: `https://ymera.example.com`. */
  baseUrl: string;
  /**
   * The bearer token sent with every call: a user's access token (from `login`) or an API key. A
   * function is called before each request, so a long-lived client can hand out a refreshed
   * token. Without one, only the public routes (register, login) answer.
   */
  token?: string | (() => string | Promise<string>);
  /** Headers sent with every call. */
  headers?: Record<string, string>;
  /** A fetch to use instead of the global one (a proxy, a test double). */
  fetch?: ClientOptions['fetch'];
}

export interface SubmitTaskOptions {
  /**
   * Makes the call safe to repeat: the same key from the same user returns the task the first
   * call created instead of creating another. 1 to 200 visible ASCII characters.
   */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export interface WaitForTaskOptions {
  /**
   * Gives up with a TaskWaitTimeoutError after this long. Without it the wait lasts as long as the
   * task: every task ends (its schedule timeout, attempt timeouts and maxAttempts bound it).
   */
  timeoutMs?: number;
  /** Time between two looks at the task; 1000 ms by default. */
  intervalMs?: number;
  /** Aborting it ends the wait, rejecting with the signal's reason. */
  signal?: AbortSignal;
}

export interface YmeraHelpers {
  /** POST /api/v1/tasks: the task as stored (`pending`), or the earlier one for a repeated key. */
  submitTask(body: NewTask, options?: SubmitTaskOptions): Promise<Task>;
  /** GET /api/v1/tasks/:id. */
  getTask(id: string, options?: { signal?: AbortSignal }): Promise<Task>;
  /**
   * Resolves with the task once it is `completed`, `failed` or `cancelled` (whichever: look at
   * `status`, `result` and `errorMessage`). It polls today; it may follow the task's event stream
   * later, with the same signature.
   */
  waitForTask(id: string, options?: WaitForTaskOptions): Promise<Task>;
}

/** The typed openapi-fetch client (`GET`, `POST`... on every path of openapi.json) and helpers. */
export type YmeraClient = Client<paths> & YmeraHelpers;

function bearer(token: NonNullable<YmeraClientOptions['token']>): Middleware {
  return {
    async onRequest({ request }) {
      const value = typeof token === 'function' ? await token() : token;
      request.headers.set('Authorization', `Bearer ${value}`);
      return request;
    },
  };
}

/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A client of one Ymera installation acting with one token.
 *
 * @example
 * const ymera = createYmeraClient({ baseUrl: 'http://localhost:3000', token: session.accessToken });
 * const task = await ymera.submitTask({ name: 'Summarise', taskType: 'summarize' });
 * const done = await ymera.waitForTask(task.id, { timeoutMs: 60_000 });
 */
export function createYmeraClient(options: YmeraClientOptions): YmeraClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    headers: options.headers,
    fetch: options.fetch,
  });
  if (options.token !== undefined) client.use(bearer(options.token));

  const getTask: YmeraHelpers['getTask'] = async (id, { signal } = {}) =>
    unwrap(await client.GET('/api/v1/tasks/{id}', { params: { path: { id } }, signal }));

  const helpers: YmeraHelpers = {
    async submitTask(body, { idempotencyKey, signal } = {}) {
      const header = idempotencyKey === undefined ? {} : { 'Idempotency-Key': idempotencyKey };
      return unwrap(await client.POST('/api/v1/tasks', { params: { header }, body, signal }));
    },
    getTask,
    async waitForTask(id, { timeoutMs, intervalMs = 1000, signal } = {}) {
      const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
      for (;;) {
        const task = await getTask(id, { signal });
        if (TERMINAL_TASK_STATUSES.includes(task.status)) return task;
        const left = deadline - Date.now();
        if (left <= 0) throw new TaskWaitTimeoutError(id, task, timeoutMs!);
        await sleep(Math.min(intervalMs, left), signal);
      }
    },
  };
  return Object.assign(client, helpers);
}

/**
 * POST /api/v1/auth/login: the session (`accessToken`, `refreshToken`, `expiresIn`, `user`) to
 * build a client with. `username` may be the email. A refusal is a YmeraError
 * (`invalid-credentials`, or `rate-limited` after 5 tries a minute).
 */
export async function login(
  baseUrl: string,
  username: string,
  password: string,
  options: Omit<YmeraClientOptions, 'baseUrl' | 'token'> = {},
): Promise<Session> {
  const client = createYmeraClient({ ...options, baseUrl });
  return unwrap(await client.POST('/api/v1/auth/login', { body: { username, password } }));
}
