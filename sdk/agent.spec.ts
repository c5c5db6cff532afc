import { once } from 'node:events';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
// Requests signed as Ymera signs them.
import { signBody } from '../src/dispatch/signing';
import {
  acceptedReply,
  AgentHandlerOptions,
  AgentTaskError,
  createAgentHandler,
  DispatchHeader,
  errorReply,
  resultReply,
  TaskContext,
  TaskDispatch,
  verifyDispatch,
} from './agent';

const secret = 'agent-signing-secret-0123456789abcdef';
const NOW = 1_800_000_000_000;
const task: TaskDispatch = {
  taskId: '0b9e6f2c-3d1a-4c5e-9f7a-2b8c1d0e4f63',
  attempt: 2,
  taskType: 'summarize',
  name: 'Summarise',
  parameters: { url: 'https://example.com' },
  priority: 'high',
};

function signed(
  body: unknown,
  { timestamp = String(NOW / 1000), event = undefined as string | undefined } = {},
) {
  const rawBody = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    [DispatchHeader.Timestamp]: timestamp,
    [DispatchHeader.Signature]: signBody(secret, timestamp, rawBody),
  };
  if (event !== undefined) headers[DispatchHeader.Event] = event;
  return { rawBody, headers };
}

function verify(
  request: { rawBody: string | Uint8Array; headers: Record<string, string> },
  now = NOW,
) {
  return verifyDispatch({ ...request, signingSecret: secret, now });
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

const rejection = (reason: string) => expect.objectContaining({ reason }) as Error;

describe('verifyDispatch', () => {
  it('returns the signed task.dispatch, from a string, bytes or fetch Headers', () => {
    const request = signed(task);
    const expected = { type: 'task.dispatch', timestamp: NOW / 1000, body: task };
    expect(verify(request)).toEqual(expected);
    expect(verify({ ...request, rawBody: Buffer.from(request.rawBody) })).toEqual(expected);
    expect(
      verifyDispatch({
        ...request,
        headers: new Headers(request.headers),
        signingSecret: secret,
        now: NOW,
      }),
    ).toEqual(expected);
    expect(verify(signed(task, { event: 'task.dispatch' }))).toEqual(expected);
  });

  it('returns a task.cancel', () => {
    const cancel = { taskId: task.taskId, attempt: 2 };
    expect(verify(signed(cancel, { event: 'task.cancel' }))).toEqual({
      type: 'task.cancel',
      timestamp: NOW / 1000,
      body: cancel,
    });
  });

  it('refuses a missing or malformed timestamp', () => {
    const { rawBody, headers } = signed(task);
    delete headers[DispatchHeader.Timestamp];
    expect(() => verify({ rawBody, headers })).toThrow(rejection('bad-timestamp'));
    expect(() => verify(signed(task, { timestamp: '1.5e9' }))).toThrow(rejection('bad-timestamp'));
  });

  it('refuses a missing or wrong signature', () => {
    const { rawBody, headers } = signed(task);
    expect(() => verify({ rawBody: `${rawBody} `, headers })).toThrow(rejection('bad-signature'));
    expect(() =>
      verifyDispatch({ rawBody, headers, signingSecret: `${secret}x`, now: NOW }),
    ).toThrow(rejection('bad-signature'));
    delete headers[DispatchHeader.Signature];
    expect(() => verify({ rawBody, headers })).toThrow(rejection('bad-signature'));
  });

  it('refuses a timestamp further from now than the tolerance, either way', () => {
    const request = signed(task);
    expect(verify(request, NOW + 300_000)).toMatchObject({ type: 'task.dispatch' });
    expect(() => verify(request, NOW + 301_000)).toThrow(rejection('stale-timestamp'));
    expect(() => verify(request, NOW - 301_000)).toThrow(rejection('stale-timestamp'));
    expect(() =>
      verifyDispatch({ ...request, signingSecret: secret, now: NOW + 11_000, toleranceS: 10 }),
    ).toThrow(rejection('stale-timestamp'));
  });

  it('refuses an unknown event', () => {
    expect(() => verify(signed(task, { event: 'task.explode' }))).toThrow(
      rejection('unknown-event'),
    );
  });

  it.each([
    ['not JSON', 'not json', undefined],
    ['a dispatch without parameters', { ...task, parameters: undefined }, undefined],
    ['a dispatch with an unknown priority', { ...task, priority: 'urgent' }, undefined],
    ['a dispatch with attempt 0', { ...task, attempt: 0 }, undefined],
    ['a cancel without attempt', { taskId: task.taskId }, 'task.cancel'],
    // X-Ymera-Event is not signed: a signed message relabelled must not pass for the other.
    ['a dispatch relabelled task.cancel', task, 'task.cancel'],
    ['a cancel relabelled task.dispatch', { taskId: task.taskId, attempt: 2 }, 'task.dispatch'],
    ['a cancel sent without X-Ymera-Event', { taskId: task.taskId, attempt: 2 }, undefined],
    ['an array', [task], undefined],
  ])('refuses a signed body that is %s', (_case, body, event) => {
    expect(() => verify(signed(body, { event }))).toThrow(rejection('malformed-body'));
  });
});

describe('replies', () => {
  it('accepts long work as 202', () => {
    expect(acceptedReply()).toEqual({
      status: 202,
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
  });

  it('answers a result as 200 { result }, undefined as null', () => {
    expect(resultReply({ words: 3 })).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"result":{"words":3}}',
    });
    expect(resultReply(undefined).body).toBe('{"result":null}');
  });

  it('answers errors as problem details with a status Ymera classifies as asked', () => {
    expect(errorReply('overloaded', { retryable: true })).toEqual({
      status: 503,
      headers: { 'content-type': 'application/problem+json' },
      body: '{"status":503,"detail":"overloaded"}',
    });
    expect(errorReply('impossible', { retryable: false }).status).toBe(422);
    expect(errorReply('slow down', { retryable: true, status: 429 }).status).toBe(429);
    expect(errorReply('gone', { retryable: false, status: 410 }).status).toBe(410);
  });

  it.each([
    [true, 400],
    [true, 200],
    [false, 408],
    [false, 429],
    [false, 500],
    [false, 302],
  ])('refuses retryable=%s with HTTP %s', (retryable, status) => {
    expect(() => errorReply('x', { retryable, status })).toThrow(RangeError);
  });
});

describe('createAgentHandler', () => {
  let server: Server;
  let url: string;

  /** The agent the server is from now on. */
  function agent(options: Omit<AgentHandlerOptions, 'signingSecret'>) {
    server.removeAllListeners('request');
    server.on('request', createAgentHandler({ signingSecret: secret, ...options }));
  }

  beforeAll(async () => {
    server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** POSTs a signed message now, as Ymera does. */
  function post(body: unknown, init: { event?: string; signal?: AbortSignal } = {}) {
    const { rawBody, headers } = signed(body, {
      timestamp: String(Math.floor(Date.now() / 1000)),
      event: init.event,
    });
    return fetch(url, { method: 'POST', body: rawBody, headers, signal: init.signal });
  }

  it('answers a dispatch with what onTask returns', async () => {
    const seen: TaskDispatch[] = [];
    agent({
      onTask: (dispatched) => {
        seen.push(dispatched);
        return Promise.resolve({ summary: 'short' });
      },
    });
    const response = await post(task);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ result: { summary: 'short' } });
    expect(seen).toEqual([task]);
  });

  it('answers an AgentTaskError with its status and detail', async () => {
    agent({
      onTask: () => {
        throw new AgentTaskError('no such language', { retryable: false, status: 400 });
      },
    });
    const response = await post(task);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toEqual({ status: 400, detail: 'no such language' });
  });

  it('answers anything else thrown as a retryable 500 without its message, told to onError', async () => {
    const errors: unknown[] = [];
    const failure = new Error('database password is hunter2');
    agent({
      onTask: () => Promise.reject(failure),
      onError: (error) => errors.push(error),
    });
    const response = await post(task);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ status: 500, detail: 'the agent failed' });
    expect(errors).toEqual([failure]);
  });

  it('refuses unsigned requests 401, other methods 405 and large bodies 413, unread', async () => {
    let called = false;
    agent({
      onTask: () => (called = true),
      maxBodyBytes: 1024,
    });
    const forged = await fetch(url, {
      method: 'POST',
      body: JSON.stringify(task),
      headers: { [DispatchHeader.Timestamp]: '1', [DispatchHeader.Signature]: 'sha256=00' },
    });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ status: 401, detail: expect.any(String) });
    expect((await fetch(url)).status).toBe(405);
    expect((await post({ ...task, parameters: { text: 'x'.repeat(2048) } })).status).toBe(413);
    expect((await post({ ...task, priority: 'urgent' })).status).toBe(400);
    expect(called).toBe(false);
  });

  it('aborts the running attempt on its task.cancel and tells onCancel', async () => {
    const started = deferred<TaskContext>();
    const cancelled: unknown[] = [];
    agent({
      onTask: (_task, context) => {
        started.resolve(context);
        return new Promise((_resolve, reject) =>
          context.signal.addEventListener('abort', () => reject(context.signal.reason as Error)),
        );
      },
      onCancel: (cancel) => cancelled.push(cancel),
    });
    const dispatched = post(task);
    const { signal } = await started.promise;
    const cancel = { taskId: task.taskId, attempt: task.attempt };
    const answer = await post(cancel, { event: 'task.cancel' });
    expect(answer.status).toBe(204);
    expect(signal.aborted).toBe(true);
    expect(cancelled).toEqual([cancel]);
    expect((await dispatched).status).toBe(503);
  });

  it('aborts the running attempt when Ymera hangs up', async () => {
    const started = deferred<TaskContext>();
    const aborted = deferred<void>();
    agent({
      onTask: (_task, context) => {
        started.resolve(context);
        context.signal.addEventListener('abort', () => aborted.resolve());
        return new Promise(() => undefined);
      },
    });
    const controller = new AbortController();
    const dispatched = post(task, { signal: controller.signal }).catch((error: unknown) => error);
    await started.promise;
    controller.abort();
    await aborted.promise;
    expect(await dispatched).toMatchObject({ name: 'AbortError' });
  });
});
