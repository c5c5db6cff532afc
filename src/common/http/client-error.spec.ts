import express from 'express';
import { createServer, Server } from 'node:http';
import { AddressInfo, connect } from 'node:net';
import { answerClientErrors, clientErrorStatus, hostRequired } from './client-error';

/** Writes raw bytes to the server and resolves with everything it answers before closing. */
function exchange(server: Server, raw: string): Promise<string> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.write(raw));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function parse(answer: string): { status: number; headers: string; body: Record<string, unknown> } {
  const [head, body] = answer.split('\r\n\r\n');
  return {
    status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(head)?.[1]),
    headers: head,
    body: JSON.parse(body) as Record<string, unknown>,
  };
}

describe('answerClientErrors', () => {
  let server: Server;

  beforeAll(async () => {
    const app = express();
    app.use(hostRequired);
    app.get('/', (_request, response) => response.send('ok'));
    server = createServer(app);
    answerClientErrors(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it.each([
    [
      '431 for headers over the limit',
      `GET /a?b HTTP/1.1\r\nX-Big: ${'a'.repeat(17_000)}\r\n\r\n`,
      431,
      '/a',
    ],
    [
      '414 for a URL over the limit',
      `GET /${'a'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      414,
      '/',
    ],
    ['400 for a malformed request line', 'GARBAGE\r\n\r\n', 400, '/'],
    ['400 for a malformed header name', 'GET /x HTTP/1.1\r\nHo st: y\r\n\r\n', 400, '/x'],
    [
      '400 for a duplicate Content-Length',
      'POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      400,
      '/x',
    ],
  ])('answers problem details: %s', async (_case, raw, status, instance) => {
    const answer = parse(await exchange(server, raw));
    expect(answer.status).toBe(status);
    expect(answer.headers).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/);
    expect(answer.headers).toMatch(/\r\nConnection: close(\r\n|$)/);
    const requestId = /\r\nX-Request-Id: ([0-9a-f-]{36})(\r\n|$)/.exec(answer.headers)?.[1];
    expect(answer.body).toEqual({
      type: expect.stringMatching(
        /^urn:ymera:problem:(malformed-request|uri-too-long|request-header-too-large)$/,
      ),
      title: expect.any(String),
      status,
      detail: expect.any(String),
      instance,
      requestId,
    });
  });

  it('answers an HTTP/1.1 request without a Host header 400 with problem details', async () => {
    const answer = parse(await exchange(server, 'GET /x HTTP/1.1\r\nConnection: close\r\n\r\n'));
    expect(answer.status).toBe(400);
    expect(answer.headers).toMatch(/\r\nContent-Type: application\/problem\+json/);
    expect(answer.body).toMatchObject({ status: 400, instance: '/x' });
    expect(answer.body.detail).toMatch(/Host header/);
  });

  it('serves an HTTP/1.0 request without a Host header', async () => {
    expect(await exchange(server, 'GET / HTTP/1.0\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/,
    );
  });

  it('serves the next connection as usual', async () => {
    await exchange(server, 'GARBAGE\r\n\r\n');
    expect(
      await exchange(server, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    ).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
  });
});

describe('clientErrorStatus', () => {
  const overflow = (raw: string) =>
    Object.assign(new Error('Header overflow'), {
      code: 'HPE_HEADER_OVERFLOW',
      rawPacket: Buffer.from(raw),
    });

  it('tells a request line that never ended (414) from headers over the limit (431)', () => {
    expect(clientErrorStatus(overflow(`GET /${'a'.repeat(100)}`))).toBe(414);
    expect(clientErrorStatus(overflow(`GET / HTTP/1.1\r\nX: ${'a'.repeat(100)}`))).toBe(431);
    expect(clientErrorStatus(overflow('aaaa'))).toBe(431);
  });

  it('keeps what node:http answers for a timeout and for chunk extensions', () => {
    expect(
      clientErrorStatus(Object.assign(new Error(), { code: 'ERR_HTTP_REQUEST_TIMEOUT' })),
    ).toBe(408);
    expect(
      clientErrorStatus(Object.assign(new Error(), { code: 'HPE_CHUNK_EXTENSIONS_OVERFLOW' })),
    ).toBe(413);
  });
});
