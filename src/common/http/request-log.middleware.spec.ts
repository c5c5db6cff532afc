import express from 'express';
import { createServer } from 'node:http';
import { Writable } from 'node:stream';
import type { PinoLogger } from 'nestjs-pino';
import pino from 'pino';
import request from 'supertest';
import { requestId } from './request-id';
import { RequestLogMiddleware } from './request-log.middleware';

interface Line {
  level: number;
  msg: string;
  req: { id: string; method: string; url: string };
  res: { statusCode: number };
  responseTime: number;
}

/** An app behind the middleware, logging through pino at `level` into `lines`. */
function appLogging(level: pino.Level) {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Line);
      done();
    },
  });
  const log = { logger: pino({ level }, sink) } as PinoLogger;
  const app = express();
  app.use(requestId);
  app.use(new RequestLogMiddleware(log).handle);
  app.get('/ok', (_request, response) => {
    response.json({ ok: true });
  });
  app.get('/broken', (_request, response) => {
    response.status(503).json({ ok: false });
  });
  app.get('/hang', () => undefined);
  app.get(['/health', '/health/live', '/metrics'], (_request, response) => {
    response.json({ status: 'ok' });
  });
  return { app, lines };
}

/** Lets the log lines of responses already received be written. */
const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('RequestLogMiddleware', () => {
  it('writes one line per request: id, method, URL with its query, status and time', async () => {
    const { app, lines } = appLogging('info');
    const response = await request(app).get('/ok?page=2').set('X-Request-Id', 'req-1').expect(200);
    await settled();
    expect(lines).toEqual([
      {
        level: 30,
        time: expect.any(Number),
        pid: process.pid,
        hostname: expect.any(String),
        req: { id: 'req-1', method: 'GET', url: '/ok?page=2' },
        res: { statusCode: 200, headersSent: true },
        responseTime: expect.any(Number),
        msg: 'request completed',
      },
    ]);
    expect(response.headers['x-request-id']).toBe('req-1');
  });

  it('writes client errors at warn and server errors at error', async () => {
    const { app, lines } = appLogging('info');
    await request(app).get('/nowhere').expect(404);
    await request(app).get('/broken').expect(503);
    await settled();
    expect(lines.map((line) => [line.res.statusCode, line.level])).toEqual([
      [404, 40],
      [503, 50],
    ]);
  });

  it('writes "request aborted" at warn when the client leaves before the answer', async () => {
    const { app, lines } = appLogging('info');
    const server = createServer(app).listen(0, '127.0.0.1');
    try {
      await new Promise((resolve) => server.once('listening', resolve));
      const { port } = server.address() as { port: number };
      const client = request(`http://127.0.0.1:${port}`).get('/hang').timeout(100);
      await expect(client).rejects.toThrow(/timeout/i);
      for (let i = 0; i < 100 && lines.length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(lines).toMatchObject([
        { level: 40, msg: 'request aborted', req: { method: 'GET', url: '/hang' } },
      ]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('does not log probes and scrapes', async () => {
    const { app, lines } = appLogging('info');
    for (const path of ['/health', '/health/live', '/health?full=1', '/metrics']) {
      await request(app).get(path).expect(200);
    }
    await settled();
    expect(lines).toEqual([]);
  });

  it('writes nothing below the configured level', async () => {
    const { app, lines } = appLogging('warn');
    await request(app).get('/ok').expect(200);
    await request(app).get('/nowhere').expect(404);
    await settled();
    expect(lines.map((line) => line.res.statusCode)).toEqual([404]);
  });
});
