import request from 'supertest';
import { startApp, TestApp, uniqueIp, uniqueName } from './support/app';
import { DEFAULT_PASSWORD, registerUser } from './support/factories';
import { expectProblem } from './support/problem-details';

describe('errors as problem details', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp();
  });

  afterAll(() => t.close());

  const login = (body: string | object, ip = uniqueIp()) =>
    request(t.http)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', ip)
      .set('Content-Type', 'application/json')
      .send(body);

  it('400 on validation, with errors[{ field, message }]', async () => {
    const response = await request(t.http)
      .post('/api/v1/auth/register')
      .set('X-Forwarded-For', uniqueIp())
      .send({ username: 'no spaces allowed', email: 'nope', password: 'short', extra: 1 });
    expectProblem(response, 400);
    expect(response.body.type).toBe('urn:ymera:problem:validation-error');
    expect(response.body.instance).toBe('/api/v1/auth/register');
    const errors = response.body.errors as { field: string; message: string }[];
    const fields = errors.map((e) => e.field);
    expect(new Set(fields)).toEqual(new Set(['username', 'email', 'password', 'extra']));
    for (const error of errors) {
      expect(Object.keys(error).sort()).toEqual(['field', 'message']);
      expect(error.message).toEqual(expect.any(String));
    }
    // The refused values are not echoed back.
    expect(JSON.stringify(response.body)).not.toContain('no spaces allowed');
  });

  it.each([
    ['malformed JSON', '{"username": "a", '],
    ['a JSON array', '[]'],
    ['a JSON string', '"text"'],
    ['JSON null', 'null'],
    ['an empty body', ''],
  ])('400 on %s', async (_case, body) => {
    const response = await login(body);
    expectProblem(response, 400);
  });

  it.each([
    ['login username', { username: 'a\u0000b', password: 'whatever it is' }, 'username'],
    ['login password', { username: 'someone', password: 'a\u0000b' }, 'password'],
  ])('400, not a database error, for a NUL character in the %s', async (_case, body, field) => {
    const response = await login(body);
    expectProblem(response, 400);
    expect(response.body.errors).toEqual([
      { field, message: `${field} must not contain NUL characters` },
    ]);
  });

  it('400 names the malformed JSON without echoing the parser message', async () => {
    const response = await login('{"username": "a", ');
    expect(response.body.type).toBe('urn:ymera:problem:invalid-json');
    expect(response.body.detail).toBe('The request body is not valid JSON.');
    expect(response.body.instance).toBe('/api/v1/auth/login');
  });

  it('400 on JSON nested deeper than any DTO needs, before validation can overflow', async () => {
    const deep = `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`;
    const response = await login(`{"username":"u","password":"p","nested":${deep}}`);
    expectProblem(response, 400);
    expect(response.body.type).toBe('urn:ymera:problem:body-too-deep');
    expect(response.body.detail).toMatch(/nested deeper than 64 levels/);
  });

  it('401 without a token', async () => {
    const response = await request(t.http).get('/api/v1/users/me');
    expectProblem(response, 401);
    expect(response.body).toMatchObject({
      type: 'urn:ymera:problem:token-required',
      title: 'Access token required',
      instance: '/api/v1/users/me',
    });
  });

  it('403 for a role the caller lacks', async () => {
    const user = await registerUser(t);
    const response = await request(t.http)
      .get('/api/v1/audit-logs?limit=5')
      .set('Authorization', `Bearer ${user.accessToken}`);
    expectProblem(response, 403);
    expect(response.body).toMatchObject({
      type: 'urn:ymera:problem:role-required',
      title: 'Role required',
      instance: '/api/v1/audit-logs',
    });
  });

  it.each([
    ['GET', '/api/v1/no-such-thing'],
    ['POST', '/api/v1/users/me'],
    ['GET', '/nowhere'],
    ['GET', '/api/v2/users/me'],
  ])('404 for an unknown route: %s %s', async (method, path) => {
    const response = await request(t.http)[method === 'GET' ? 'get' : 'post'](path);
    expectProblem(response, 404);
    expect(response.body.type).toBe('urn:ymera:problem:route-not-found');
    expect(response.body.instance).toBe(path);
  });

  it('409 on a conflict', async () => {
    const user = await registerUser(t);
    const response = await request(t.http)
      .post('/api/v1/auth/register')
      .set('X-Forwarded-For', uniqueIp())
      .send({
        username: user.username,
        email: `${uniqueName()}@example.com`,
        password: DEFAULT_PASSWORD,
      });
    expectProblem(response, 409);
    expect(response.body.type).toBe('urn:ymera:problem:account-taken');
    expect(response.body.detail).toBe('That username or email is already taken.');
  });

  it('413 on a body over 1 MiB', async () => {
    const response = await login({ username: 'x'.repeat(1024 * 1024 + 1), password: 'p' });
    expectProblem(response, 413);
    expect(response.body.type).toBe('urn:ymera:problem:payload-too-large');
    expect(response.body.detail).toBe('The request body is larger than 1 MiB.');
  });

  it('accepts a body just under 1 MiB as far as the validators', async () => {
    const response = await login({ username: 'x'.repeat(1024 * 1024 - 64), password: 'p' });
    expectProblem(response, 400);
    expect(response.body.errors).toEqual([{ field: 'username', message: expect.any(String) }]);
  });

  it('429 when rate limited, with Retry-After', async () => {
    const ip = uniqueIp();
    for (let i = 0; i < t.config.throttle.authLimit; i += 1) {
      await login({ username: 'nobody', password: 'nothing' }, ip).expect(401);
    }
    const response = await login({ username: 'nobody', password: 'nothing' }, ip);
    expectProblem(response, 429);
    expect(response.body.type).toBe('urn:ymera:problem:rate-limited');
    expect(response.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  });

  describe('500', () => {
    let broken: TestApp;

    beforeAll(async () => {
      broken = await startApp();
      // A real failure, not a test route: the database goes away under a running app.
      await broken.dataSource.destroy();
    });

    afterAll(() => broken.close());

    it('answers a generic 500 with nothing internal', async () => {
      const user = await registerUser(t);
      const response = await request(broken.http)
        .get('/api/v1/users/me')
        .set('Authorization', `Bearer ${user.accessToken}`);
      expectProblem(response, 500);
      expect(response.body).toMatchObject({
        type: 'about:blank',
        title: 'Internal Server Error',
        detail: 'The server failed to handle the request. Quote the requestId when reporting it.',
        instance: '/api/v1/users/me',
      });
      // expectProblem allows no member beyond the six: no stack, no SQL, no driver message.
      expect(JSON.stringify(response.body)).not.toMatch(/SELECT|typeorm|connection|\.ts:/i);
    });

    it('answers 500 on a public route too (login needs the database)', async () => {
      const response = await request(broken.http)
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', uniqueIp())
        .send({ username: 'someone', password: 'something long' });
      expectProblem(response, 500);
      expect(response.body.detail).not.toMatch(/SQL|connection|pool|typeorm/i);
    });
  });

  describe('X-Request-Id', () => {
    it.each([
      ['a success', (r: request.Agent) => r.get('/health/live')],
      ['an error', (r: request.Agent) => r.get('/api/v1/users/me')],
      ['a route that does not exist', (r: request.Agent) => r.get('/nowhere')],
      [
        'a body refused before routing',
        (r: request.Agent) =>
          r.post('/api/v1/auth/login').set('Content-Type', 'application/json').send('{'),
      ],
    ])('is on %s', async (_case, send) => {
      const response = await send(request.agent(t.http));
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it.each(['abc-123', 'trace.span:42_x', 'A'.repeat(128)])(
      'echoes a safe id from the client: %s',
      async (id) => {
        const response = await request(t.http).get('/api/v1/users/me').set('X-Request-Id', id);
        expect(response.headers['x-request-id']).toBe(id);
        expect(response.body.requestId).toBe(id);
      },
    );

    it.each([
      ['with spaces', 'has spaces in it'],
      ['of 129 characters', 'A'.repeat(129)],
      ['of 200 characters', 'b'.repeat(200)],
      ['with a newline-like payload', 'abc%0d%0aforged'],
      ['with quotes', 'abc"def'],
    ])('replaces an unsafe id %s', async (_case, id) => {
      const response = await request(t.http).get('/api/v1/users/me').set('X-Request-Id', id);
      expect(response.headers['x-request-id']).not.toBe(id);
      expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.body.requestId).toBe(response.headers['x-request-id']);
    });
  });
});
