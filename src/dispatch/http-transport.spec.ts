import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, LookupFunction } from 'node:net';
import { MAX_ERROR_BODY_BYTES, MAX_REPLY_BYTES } from './classify';
import { HttpTransport } from './http-transport';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** A real loopback server: the transport is exercised over real sockets, nothing is mocked. */
async function serve(handler: Handler): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Answers every lookup with 127.0.0.1, whatever name is asked. */
const pinnedToLoopback: LookupFunction = (_hostname, options, callback) => {
  if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

describe('HttpTransport', () => {
  const transport = new HttpTransport();
  let server: Server | undefined;

  afterEach(async () => {
    const current = server;
    server = undefined;
    if (!current) return;
    current.closeAllConnections();
    await new Promise((resolve) => current.close(resolve));
  });
  afterAll(() => transport.close());

  async function send(
    handler: Handler,
    overrides: { timeoutMs?: number; host?: string; method?: 'GET' } = {},
  ) {
    const started = await serve(handler);
    server = started.server;
    return transport.send({
      url: new URL(`http://${overrides.host ?? '127.0.0.1'}:${started.port}/run?x=1`),
      lookup: pinnedToLoopback,
      headers: { 'x-test': 'yes' },
      ...(overrides.method ? { method: overrides.method } : { body: '{"hello":"agent"}' }),
      timeoutMs: overrides.timeoutMs ?? 2000,
    });
  }

  it('POSTs the JSON body with the headers and reads the reply', async () => {
    let seen: { method?: string; url?: string; headers?: object; body?: string } = {};
    const reply = await send((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen = { method: request.method, url: request.url, headers: request.headers, body };
        response.setHeader('content-type', 'application/json');
        response.end('{"result":42}');
      });
    });
    expect(reply).toEqual({
      kind: 'response',
      status: 200,
      body: Buffer.from('{"result":42}'),
      oversized: false,
    });
    expect(seen).toMatchObject({
      method: 'POST',
      url: '/run?x=1',
      body: '{"hello":"agent"}',
      headers: { 'x-test': 'yes', 'content-type': 'application/json' },
    });
  });

  it('GETs without a body or content headers (an A2A agent card)', async () => {
    let seen: { method?: string; headers?: Record<string, unknown> } = {};
    const reply = await send(
      (request, response) => {
        seen = { method: request.method, headers: request.headers };
        response.end('{"name":"card"}');
      },
      { method: 'GET' },
    );
    expect(reply).toMatchObject({
      kind: 'response',
      status: 200,
      body: Buffer.from('{"name":"card"}'),
    });
    expect(seen.method).toBe('GET');
    expect(seen.headers).toMatchObject({ 'x-test': 'yes' });
    expect(seen.headers).not.toHaveProperty('content-type');
    expect(seen.headers).not.toHaveProperty('content-length');
  });

  it('connects where the lookup says, not where DNS would', async () => {
    const reply = await send((_request, response) => response.end('{"result":1}'), {
      host: 'agent.invalid',
    });
    expect(reply).toMatchObject({ kind: 'response', status: 200 });
  });

  it('stops reading a 2xx reply as soon as it passes 1 MiB', async () => {
    let written = 0;
    const reply = await send((_request, response) => {
      const chunk = Buffer.alloc(64 * 1024, 'a');
      const write = () => {
        // Streams far more than the limit unless the reader hangs up first.
        while (written < 64 * MAX_REPLY_BYTES) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', write);
        }
        response.end();
      };
      write();
    });
    expect(reply).toMatchObject({ kind: 'response', status: 200, oversized: true });
    expect(written).toBeLessThan(64 * MAX_REPLY_BYTES);
  });

  it('reads the body of a non-2xx reply', async () => {
    const problem = await send((_request, response) => {
      response.writeHead(422, { 'content-type': 'application/problem+json' });
      response.end('{"detail":"parameters.url is not a PDF"}');
    });
    expect(problem).toEqual({
      kind: 'response',
      status: 422,
      body: Buffer.from('{"detail":"parameters.url is not a PDF"}'),
      oversized: false,
    });
  });

  it('keeps no more than MAX_ERROR_BODY_BYTES of a long non-2xx reply', async () => {
    let written = 0;
    const huge = await send((_request, response) => {
      response.writeHead(503, { 'content-type': 'text/html' });
      const chunk = Buffer.alloc(16 * 1024, '<');
      const write = () => {
        // Streams far more than the limit unless the reader hangs up first.
        while (written < 64 * MAX_REPLY_BYTES) {
          written += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', write);
        }
        response.end();
      };
      write();
    });
    expect(huge).toMatchObject({ kind: 'response', status: 503, oversized: false });
    expect((huge as { body: Buffer }).body).toHaveLength(MAX_ERROR_BODY_BYTES);
    expect(written).toBeLessThan(64 * MAX_REPLY_BYTES);
  });

  it('answers a non-2xx reply whose body never ends with what arrived, at the deadline', async () => {
    const reply = await send(
      (_request, response) => {
        response.writeHead(429, { 'content-type': 'text/plain' });
        response.write('slow down');
      },
      { timeoutMs: 200 },
    );
    expect(reply).toEqual({
      kind: 'response',
      status: 429,
      body: Buffer.from('slow down'),
      oversized: false,
    });
  });

  it('reports a timeout when the agent holds the request', async () => {
    const reply = await send(() => undefined, { timeoutMs: 150 });
    expect(reply).toEqual({ kind: 'timeout', timeoutMs: 150 });
  });

  it('does not follow redirects', async () => {
    const reply = await send((_request, response) => {
      response.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data' }).end();
    });
    expect(reply).toMatchObject({ kind: 'response', status: 307 });
  });

  it('reports a refused connection', async () => {
    const started = await serve(() => undefined);
    const port = started.port;
    await new Promise((resolve) => started.server.close(resolve));
    const reply = await transport.send({
      url: new URL(`http://127.0.0.1:${port}/`),
      lookup: pinnedToLoopback,
      headers: {},
      body: '{}',
      timeoutMs: 2000,
    });
    expect(reply).toMatchObject({ kind: 'network', code: 'ECONNREFUSED' });
  });

  it('ends at once when its signal aborts', async () => {
    const started = await serve(() => undefined);
    server = started.server;
    const controller = new AbortController();
    const pending = transport.send({
      url: new URL(`http://127.0.0.1:${started.port}/`),
      lookup: pinnedToLoopback,
      headers: {},
      body: '{}',
      timeoutMs: 60_000,
      signal: controller.signal,
      abortReason: 'shutting down',
    });
    controller.abort();
    await expect(pending).resolves.toEqual({ kind: 'aborted', reason: 'shutting down' });
  });
});
