import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { startApp, TestApp, uniqueIp, uniqueName } from './support/app';
import { DEFAULT_PASSWORD, registerUser } from './support/factories';
import { expectProblem } from './support/problem-details';

describe('rate limits', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp();
  });

  afterAll(() => t.close());

  const post = (path: string, body: object, ip: string) =>
    request(t.http).post(`/api/v1/auth/${path}`).set('X-Forwarded-For', ip).send(body);

  it('gives register, login and refresh one budget of 5 per IP, then 429 with Retry-After', async () => {
    const user = await registerUser(t);
    const ip = uniqueIp();
    const name = uniqueName();
    const answers = [
      await post(
        'register',
        { username: name, email: `${name}@example.com`, password: DEFAULT_PASSWORD },
        ip,
      ),
      await post('login', { username: user.username, password: user.password }, ip),
      await post('login', { username: user.username, password: 'wrong password!' }, ip),
      await post('refresh', { refreshToken: user.refreshToken }, ip),
      await post('login', { username: '', password: '' }, ip),
    ];
    expect(answers.map((r) => r.status)).toEqual([201, 200, 401, 200, 400]);

    const limited = await post('login', { username: user.username, password: user.password }, ip);
    expectProblem(limited, 429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(t.config.throttle.authTtlS);

    // Every auth route is closed to that address now, not only the one that tipped it over.
    expectProblem(await post('refresh', { refreshToken: 'x'.repeat(43) }, ip), 429);
    // Another client is not affected.
    await post('login', { username: user.username, password: user.password }, uniqueIp()).expect(
      200,
    );
  });

  it('counts a whole IPv6 /64 as one client', async () => {
    const prefix = `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}`;
    for (let i = 1; i <= t.config.throttle.authLimit; i += 1) {
      await post('login', { username: 'nobody', password: 'nothing' }, `${prefix}::${i}`).expect(
        401,
      );
    }
    const limited = await post(
      'login',
      { username: 'nobody', password: 'nothing' },
      `${prefix}:0:ffff:1:2`,
    );
    expectProblem(limited, 429);
  });

  it('does not count routes outside the auth limit', async () => {
    const user = await registerUser(t);
    for (let i = 0; i < 8; i += 1) {
      await request(t.http)
        .get('/api/v1/users/me')
        .set('X-Forwarded-For', user.ip)
        .set('Authorization', `Bearer ${user.accessToken}`)
        .expect(200);
    }
  });

  it('keeps its counters in Redis under the run key prefix', async () => {
    await registerUser(t);
    const redis = new Redis(t.config.redis.url);
    try {
      const keys = await redis.keys(`${t.config.redis.keyPrefix}:*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys).toEqual(
        expect.arrayContaining([expect.stringMatching(/auth:ip:[0-9.]+:auth\}:hits$/)]),
      );
    } finally {
      redis.disconnect();
    }
  });

  describe('with TRUST_PROXY=false', () => {
    let direct: TestApp;

    beforeAll(async () => {
      // Counters of its own: every request of this app counts against the loopback address.
      direct = await startApp({
        TRUST_PROXY: 'false',
        REDIS_KEY_PREFIX: `${t.config.redis.keyPrefix}:untrusted`,
      });
    });

    afterAll(() => direct.close());

    it('ignores X-Forwarded-For: rotating it does not escape the limit', async () => {
      const send = () =>
        request(direct.http)
          .post('/api/v1/auth/login')
          .set('X-Forwarded-For', uniqueIp())
          .send({ username: 'nobody', password: 'nothing' });
      for (let i = 0; i < direct.config.throttle.authLimit; i += 1) {
        const response = await send().expect(401);
        const rows: { ip_address: string }[] = await direct.dataSource.query(
          'SELECT ip_address FROM audit_logs WHERE request_id = $1',
          [response.headers['x-request-id']],
        );
        expect(rows).toEqual([{ ip_address: expect.stringMatching(/127\.0\.0\.1|::1/) }]);
      }
      expectProblem(await send(), 429);
    });
  });

  describe('with Redis unreachable', () => {
    let broken: TestApp;

    beforeAll(async () => {
      broken = await startApp({ REDIS_URL: 'redis://127.0.0.1:1/0' });
    });

    afterAll(() => broken.close());

    it('fails auth closed with 503 problem details and Retry-After', async () => {
      const user = await registerUser(t);
      const login = await request(broken.http)
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', uniqueIp())
        .send({ username: user.username, password: user.password });
      expectProblem(login, 503);
      expect(login.body).toMatchObject({
        type: 'urn:ymera:problem:rate-limiter-unavailable',
        detail: 'Authentication is unavailable; retry shortly.',
      });
      expect(login.headers['retry-after']).toBe('5');
      const register = await request(broken.http)
        .post('/api/v1/auth/register')
        .set('X-Forwarded-For', uniqueIp())
        .send({
          username: uniqueName(),
          email: `${uniqueName()}@example.com`,
          password: DEFAULT_PASSWORD,
        });
      expectProblem(register, 503);
      expect(register.headers['retry-after']).toBe('5');
    });

    it('keeps liveness and authenticated work going (general limit fails open)', async () => {
      await request(broken.http).get('/health/live').expect(200, { status: 'ok' });
      const user = await registerUser(t);
      await request(broken.http)
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${user.accessToken}`)
        .expect(200);
    });
  });
});
