import { PinoLogger } from 'nestjs-pino';
import { symbols } from 'pino';
import request from 'supertest';
import { startApp, TestApp, uniqueIp } from './support/app';

interface RequestLine {
  req: { id: string; method: string; url: string };
  res: { statusCode: number };
}

describe('request log', () => {
  let t: TestApp;
  let warn: jest.SpyInstance;
  /** What the logger writes of a line's `req` and `res`: its own serializers, applied. */
  let serialize: (line: RequestLine) => RequestLine;

  beforeAll(async () => {
    // warn: the request lines of refused requests, without the app's info lines at start.
    t = await startApp({ LOG_LEVEL: 'warn' });
    const { logger } = await t.app.resolve(PinoLogger);
    const serializers = (
      logger as unknown as Record<symbol, Record<string, (v: unknown) => unknown>>
    )[symbols.serializersSym];
    const apply = (key: string, value: unknown) =>
      serializers[key] ? serializers[key](value) : value;
    serialize = (line) =>
      ({ req: apply('req', line.req), res: apply('res', line.res) }) as RequestLine;
    warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  });

  afterAll(async () => {
    warn.mockRestore();
    await t.close();
  });

  /** The request lines written at warn since `from` calls, as [method, url, status, id]. */
  function linesSince(from: number) {
    return (warn.mock.calls.slice(from) as [RequestLine, string][])
      .filter(([, message]) => message === 'request completed')
      .map(([logged]) => serialize(logged))
      .map((line) => [line.req.method, line.req.url, line.res.statusCode, line.req.id]);
  }

  it('has a line for each request, refused before routing or not, with the id it answered with', async () => {
    const from = warn.mock.calls.length;
    const unauthorized = await request(t.http)
      .get('/api/v1/users/me')
      .set('Authorization', 'Bearer not-a-token')
      .expect(401);
    const unknown = await request(t.http).get('/nowhere?x=1').expect(404);
    const malformed = await request(t.http)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', uniqueIp())
      .set('Content-Type', 'application/json')
      .send('{')
      .expect(400);
    await new Promise((resolve) => setImmediate(resolve));
    expect(linesSince(from)).toEqual([
      ['GET', '/api/v1/users/me', 401, unauthorized.headers['x-request-id']],
      ['GET', '/nowhere?x=1', 404, unknown.headers['x-request-id']],
      ['POST', '/api/v1/auth/login', 400, malformed.headers['x-request-id']],
    ]);
    expect(JSON.stringify(warn.mock.calls.slice(from))).not.toContain('not-a-token');
  });

  it('has no line for probes and scrapes, even refused ones', async () => {
    const from = warn.mock.calls.length;
    await request(t.http).post('/health').expect(404);
    await request(t.http).get('/metrics').expect(200);
    await new Promise((resolve) => setImmediate(resolve));
    expect(linesSince(from)).toEqual([]);
  });
});
