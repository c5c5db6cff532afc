import { EventEmitter } from 'node:events';
import {
  createServer,
  IncomingHttpHeaders,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import request from 'supertest';
import {
  acceptedReply,
  AgentReply,
  createAgentApi,
  DispatchHeader,
  errorReply,
  resultReply,
  TaskDispatch,
  verifyDispatch,
} from '../../sdk/agent';
import { YmeraError } from '../../sdk/client';
import { TestApp } from './app';
import { RegisteredUser } from './factories';

/**
 * How the agent answers a task, chosen per task by `parameters.behaviour`:
 * - succeed (default): 200 `{ result: { echo: parameters, attempt } }`
 * - fail-transient-n: 503 for the first `n` attempts, then succeed
 * - always-down: 503 every time
 * - fail-permanent: `status` (default 422) every time
 * - fail-problem: `status` (default 422) with a problem+json body whose detail is `detail`
 * - fail-text: `status` (default 503) with the text/plain body `text`
 * - hang: never answers (until the connection is dropped)
 * - hang-first: the first attempt never answers, later ones succeed
 * - hold: succeeds when the test lets it go (TestAgent.release), holding its agent slot till then
 * - slow: answers after `ms` milliseconds
 * - not-json: 200 with a text body
 * - no-result: 200 with a JSON object lacking "result"
 * - huge: 200 with a 2 MiB JSON body
 * - accept-result: 202, then (after `ms`, default 20) posts its progress when `progress` is set,
 *   and then the result, through the agent API (README, "Long work")
 * - accept-error: 202, then posts an error (`detail`, `retryable`: true unless false) for the first
 *   `n` attempts (all when unset), the result for later ones
 * - accept-silent: 202, and nothing after it
 * Every `task.cancel` it receives is recorded in `cancels`; every report it posts in `reports`.
 */
export type Behaviour =
  | 'succeed'
  | 'fail-transient-n'
  | 'always-down'
  | 'fail-permanent'
  | 'fail-problem'
  | 'fail-text'
  | 'hang'
  | 'hang-first'
  | 'hold'
  | 'slow'
  | 'not-json'
  | 'no-result'
  | 'huge'
  | 'accept-result'
  | 'accept-error'
  | 'accept-silent';

export interface RecordedRequest {
  /** Date.now() when the request's body had arrived. */
  at: number;
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: TaskDispatch;
  /** Whether the agent library (sdk/agent.ts) accepted the request as signed by Ymera. */
  signatureValid: boolean;
  answeredStatus: number | null;
  /** Whether Ymera closed the request before the agent answered it. */
  abandoned: boolean;
}

/** What the agent posted to the agent API about an attempt, and how it was answered. */
export interface Report {
  taskId: string;
  attempt: number;
  kind: 'progress' | 'result' | 'error';
  /** The task's status after a result or error; 'accepted' for progress. */
  answer?: string;
  /** The problem's code when the report was refused (or what went wrong sending it). */
  refused?: string | null;
}

/** Matches the requests (dispatches, cancels) about one task, for waitForRequest and waitForCancel. */
export const forTask =
  (taskId: string) =>
  (r: RecordedRequest): boolean =>
    r.body?.taskId === taskId;

function signatureValid(secret: string, headers: IncomingHttpHeaders, raw: Buffer): boolean {
  try {
    verifyDispatch({ rawBody: raw, headers, signingSecret: secret });
    return true;
  } catch {
    return false;
  }
}

/**
 * A real HTTP agent on 127.0.0.1 (random port) for e2e tests: verifies every signature (401 when it
 * is wrong), behaves as each task's parameters say, and records every request.
 */
export class TestAgent {
  /** The dispatches (X-Ymera-Event task.dispatch) received. */
  readonly requests: RecordedRequest[] = [];
  /** The task.cancel messages received. */
  readonly cancels: RecordedRequest[] = [];
  readonly reports: Report[] = [];
  /** The signing secret Ymera gave when the agent was registered. */
  secret = '';
  /** Its agent token, for its reports through the agent API. */
  agentToken = '';
  /** Where the application listens, for the agent API (set by tests of 202 behaviours). */
  apiBaseUrl = '';
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly events = new EventEmitter();
  /** The answers of requests held (behaviour hold), by task id. */
  private readonly held = new Map<string, { attempt: number; answer: () => void }[]>();
  private port = 0;

  constructor() {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(): Promise<TestAgent> {
    const agent = new TestAgent();
    await new Promise<void>((resolve) => agent.server.listen(0, '127.0.0.1', resolve));
    agent.port = (agent.server.address() as AddressInfo).port;
    return agent;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/tasks`;
  }

  requestsFor(taskId: string): RecordedRequest[] {
    return this.requests.filter(forTask(taskId));
  }

  /** Resolves with the first request (already received or still to come) that matches. */
  waitForRequest(
    match: (request: RecordedRequest) => boolean,
    timeoutMs = 20_000,
  ): Promise<RecordedRequest> {
    return this.waitFor('request', this.requests, match, timeoutMs);
  }

  /** Resolves with the first task.cancel (already received or still to come) that matches. */
  waitForCancel(
    match: (request: RecordedRequest) => boolean,
    timeoutMs = 20_000,
  ): Promise<RecordedRequest> {
    return this.waitFor('cancel', this.cancels, match, timeoutMs);
  }

  /** Resolves with the first report (already posted or still to come) that matches. */
  waitForReport(match: (report: Report) => boolean, timeoutMs = 20_000): Promise<Report> {
    return this.waitFor('report', this.reports, match, timeoutMs);
  }

  private waitFor<T>(
    event: string,
    seen: T[],
    match: (item: T) => boolean,
    timeoutMs: number,
  ): Promise<T> {
    const found = seen.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off(event, listener);
        reject(new Error(`the test agent saw no matching ${event} within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (item: T) => {
        if (!match(item)) return;
        clearTimeout(timer);
        this.events.off(event, listener);
        resolve(item);
      };
      this.events.on(event, listener);
    });
  }

  /** Lets the held requests of `taskId` (of its attempt `attempt` only, when given) succeed. */
  release(taskId: string, attempt?: number): void {
    const held = this.held.get(taskId) ?? [];
    for (const request of held)
      if (attempt === undefined || request.attempt === attempt) request.answer();
    const left = held.filter((request) => attempt !== undefined && request.attempt !== attempt);
    if (left.length > 0) this.held.set(taskId, left);
    else this.held.delete(taskId);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const bytes = Buffer.concat(chunks);
      const raw = bytes.toString('utf8');
      let body: RecordedRequest['body'];
      try {
        body = JSON.parse(raw) as RecordedRequest['body'];
      } catch {
        body = undefined as unknown as RecordedRequest['body'];
      }
      const recorded: RecordedRequest = {
        at: Date.now(),
        path: req.url ?? '',
        headers: req.headers,
        raw,
        body,
        signatureValid: signatureValid(this.secret, req.headers, bytes),
        answeredStatus: null,
        abandoned: false,
      };
      res.on('close', () => {
        if (recorded.answeredStatus === null) recorded.abandoned = true;
      });
      const answer = (status: number, payload: string, type = 'application/json') => {
        recorded.answeredStatus = status;
        if (res.destroyed) return;
        res.writeHead(status, { 'content-type': type }).end(payload);
      };
      const reply = (r: AgentReply) => answer(r.status, r.body, r.headers['content-type']);
      if (req.headers[DispatchHeader.Event] === 'task.cancel') {
        this.cancels.push(recorded);
        this.events.emit('cancel', recorded);
        return answer(recorded.signatureValid ? 204 : 401, '');
      }
      this.requests.push(recorded);
      this.events.emit('request', recorded);
      if (!recorded.signatureValid) {
        return reply(errorReply('bad signature', { retryable: false, status: 401 }));
      }
      this.behave(recorded, answer, reply, res);
    });
  }

  private behave(
    recorded: RecordedRequest,
    answer: (status: number, payload: string, type?: string) => void,
    reply: (r: AgentReply) => void,
    res: ServerResponse,
  ): void {
    const parameters = recorded.body.parameters ?? {};
    const behaviour = (parameters.behaviour as Behaviour | undefined) ?? 'succeed';
    const attempt = recorded.body.attempt;
    const succeed = () => reply(resultReply({ echo: parameters, attempt, agent: this.port }));
    switch (behaviour) {
      case 'succeed':
        return succeed();
      case 'fail-transient-n':
        return attempt <= Number(parameters.n ?? 1)
          ? reply(errorReply('try later', { retryable: true }))
          : succeed();
      case 'always-down':
        return reply(errorReply('down', { retryable: true }));
      case 'fail-permanent':
        return reply(
          errorReply('cannot do that', {
            retryable: false,
            status: Number(parameters.status ?? 422),
          }),
        );
      case 'fail-problem': {
        const status = Number(parameters.status ?? 422);
        const problem = {
          type: 'about:blank',
          title: 'Refused',
          status,
          detail: parameters.detail,
        };
        return answer(status, JSON.stringify(problem), 'application/problem+json');
      }
      case 'fail-text':
        return answer(Number(parameters.status ?? 503), String(parameters.text), 'text/plain');
      case 'hang':
        return;
      case 'hang-first':
        return attempt === 1 ? undefined : succeed();
      case 'hold': {
        const taskId = recorded.body.taskId;
        this.held.set(taskId, [...(this.held.get(taskId) ?? []), { attempt, answer: succeed }]);
        return;
      }
      case 'slow':
        setTimeout(succeed, Number(parameters.ms ?? 200));
        return;
      case 'not-json':
        return answer(200, 'all done!', 'text/plain');
      case 'no-result':
        return answer(200, '{"output":"where is result?"}');
      case 'huge':
        res.writeHead(200, { 'content-type': 'application/json' });
        recorded.answeredStatus = 200;
        res.end(JSON.stringify({ result: 'x'.repeat(2 * 1024 * 1024) }));
        return;
      case 'accept-result':
      case 'accept-error':
        reply(acceptedReply());
        setTimeout(() => void this.report(recorded.body, behaviour), Number(parameters.ms ?? 20));
        return;
      case 'accept-silent':
        return reply(acceptedReply());
    }
  }

  /** What an agent that answered 202 posts afterwards, through the agent API (sdk/agent.ts). */
  private async report(task: TaskDispatch, behaviour: Behaviour): Promise<void> {
    const { taskId, attempt, parameters } = task;
    const api = createAgentApi({ baseUrl: this.apiBaseUrl, agentToken: this.agentToken });
    const post = async (kind: Report['kind'], call: () => Promise<string | void>) => {
      const report: Report = { taskId, attempt, kind };
      try {
        report.answer = (await call()) ?? 'accepted';
      } catch (error) {
        report.refused = error instanceof YmeraError ? error.code : String(error);
      }
      this.reports.push(report);
      this.events.emit('report', report);
    };
    if (parameters.progress) {
      await post('progress', () =>
        api.progress(taskId, attempt, { message: 'half way', percent: 50, data: { step: 1 } }),
      );
    }
    const failing = behaviour === 'accept-error' && attempt <= Number(parameters.n ?? Infinity);
    if (failing) {
      await post('error', () =>
        api.fail(taskId, attempt, (parameters.detail as string | undefined) ?? 'failed later', {
          retryable: parameters.retryable !== false,
        }),
      );
    } else {
      await post('result', () =>
        api.result(taskId, attempt, { echo: parameters, attempt, agent: this.port }),
      );
    }
  }
}

export interface RegisteredAgent {
  id: string;
  signingSecret: string;
  agentToken: string;
}

/**
 * Registers `agent` through the API for `owner` with the given capabilities, and (unless told not
 * to) sends its first heartbeat so that it is active and receives tasks.
 */
export async function registerTestAgent(
  t: TestApp,
  owner: RegisteredUser,
  agent: TestAgent,
  options: { capabilities: string[]; maxConcurrency?: number; active?: boolean; name?: string },
): Promise<RegisteredAgent> {
  const response = await request(t.http)
    .post('/api/v1/agents')
    .auth(owner.accessToken, { type: 'bearer' })
    .send({
      name: options.name ?? `test-agent-${options.capabilities[0]}`,
      capabilities: options.capabilities,
      endpointUrl: agent.url,
      maxConcurrency: options.maxConcurrency ?? 10,
    })
    .expect(201);
  const created = response.body as RegisteredAgent;
  agent.secret = created.signingSecret;
  agent.agentToken = created.agentToken;
  if (options.active !== false) await heartbeat(t, owner, created.id);
  return created;
}

export async function heartbeat(t: TestApp, owner: RegisteredUser, agentId: string): Promise<void> {
  await request(t.http)
    .post(`/api/v1/agents/${agentId}/heartbeat`)
    .auth(owner.accessToken, { type: 'bearer' })
    .send({ status: 'active' })
    .expect(200);
}

/**
 * Polls `probe` until it returns something other than undefined/false, for at most timeoutMs.
 * For states the test cannot be told about (a task reaching a status), never a fixed sleep.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  { timeoutMs = 20_000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
