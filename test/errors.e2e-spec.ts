import request from 'supertest';
import { startApp, TestApp, uniqueIp, uniqueName } from './support/app';
import { DEFAULT_PASSWORD, registerUser } from './support/factories';
import { expectProblem } from './support/problem-details';
import { listenOnLoopback, rawExchange } from './support/raw-http';

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

  it('says a missing field is required, in one message', async () => {
    const response = await request(t.http)
      .post('/api/v1/auth/register')
      .set('X-Forwarded-For', uniqueIp())
      .send({ username: uniqueName('nomail'), password: DEFAULT_PASSWORD });
    expectProblem(response, 400);
    expect(response.body.errors).toEqual([{ field: 'email', message: 'email is required' }]);
  });

  it.each([
    ['a form', 'application/x-www-form-urlencoded', 'username=a&password=b'],
    ['text', 'text/plain', '{"username":"a","password":"b"}'],
    ['multipart', 'multipart/form-data; boundary=x', '--x--'],
  ])('415 asking for JSON for %s on an API route', async (_case, type, body) => {
    const response = await request(t.http)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', uniqueIp())
      .set('Content-Type', type)
      .send(body);
    expectProblem(response, 415);
    expect(response.body).toMatchObject({
      type: 'urn:ymera:problem:unsupported-media-type',
      title: 'Unsupported media type',
      detail: expect.stringContaining('Content-Type: application/json'),
    });
  });

  it('takes a POST with no body and no Content-Type (validation speaks, not 415)', async () => {
    const response = await request(t.http)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', uniqueIp());
    expectProblem(response, 400);
    expect(response.body.type).toBe('urn:ymera:problem:validation-error');
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

  it('400, not a database error, for an unpaired UTF-16 surrogate in task parameters', async () => {
    const user = await registerUser(t);
    const response = await request(t.http)
      .post('/api/v1/tasks')
      .set('Authorization', `Bearer ${user.accessToken}`)
      .set('Content-Type', 'application/json')
      .send('{"name":"n","taskType":"t","parameters":{"a":"\\ud800"}}');
    expectProblem(response, 400);
    expect(response.body.errors).toEqual([
      {
        field: 'parameters.a',
        message: 'parameters.a must be well-formed Unicode (no unpaired surrogates)',
      },
    ]);
  });

  it('400, not a database error, for an unpaired UTF-16 surrogate in a login username (its audit record is jsonb)', async () => {
    const response = await login('{"username":"\\ud800","password":"whatever it is"}');
    expectProblem(response, 400);
    expect(response.body.errors).toEqual([
      {
        field: 'username',
        message: 'username must be well-formed Unicode (no unpaired surrogates)',
      },
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

  describe('reserved property names (prototype pollution)', () => {
    it.each(['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'])(
      '400 naming %s in a body, not a silent drop',
      async (key) => {
        const body = `{"username":"${uniqueName()}","email":"${uniqueName()}@example.com","password":"${DEFAULT_PASSWORD}","${key}":{"role":"admin"}}`;
        const response = await request(t.http)
          .post('/api/v1/auth/register')
          .set('X-Forwarded-For', uniqueIp())
          .set('Content-Type', 'application/json')
          .send(body);
        expectProblem(response, 400);
        expect(response.body.errors).toEqual([{ field: key, message: expect.any(String) }]);
      },
    );

    it.each([
      [
        'task parameters',
        '/api/v1/tasks',
        '{"name":"n","taskType":"summarize","parameters":{"a":{"__proto__":{"x":1}}}}',
        'parameters.a.__proto__',
      ],
      [
        'agent config',
        '/api/v1/agents',
        '{"name":"n","capabilities":["c"],"endpointUrl":"https://agent.example.com","config":{"constructor":{"prototype":{"x":1}}}}',
        'config.constructor',
      ],
    ])('400 for one inside a free-form field: %s', async (_case, path, body, field) => {
      const user = await registerUser(t);
      const response = await request(t.http)
        .post(path)
        .set('Authorization', `Bearer ${user.accessToken}`)
        .set('Content-Type', 'application/json')
        .send(body);
      expectProblem(response, 400);
      expect(response.body.errors).toEqual(
        expect.arrayContaining([{ field, message: expect.any(String) }]),
      );
    });
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

  it.each([
    ['GET', '/api/v1/agents/%zz'],
    ['GET', '/api/v1/tasks/%E0%A4%A/attempts'],
    ['POST', '/api/v1/tasks/%/cancel'],
  ])(
    '400, and the process goes on, for %s %s: a parameter that is not valid percent-encoding',
    async (method, path) => {
      const response = await request(t.http)[method === 'GET' ? 'get' : 'post'](path);
      expectProblem(response, 400);
      expect(response.body.instance).toBe(path.split('?')[0]);
      // The answer's 'finish' listeners (metrics, request log) ran: had one thrown, the process
      // would be gone, not answering the next request.
      await request(t.http).get('/health/live').expect(200);
    },
  );

  describe('requests node:http cannot parse, on a listening server', () => {
    let port: number;

    beforeAll(async () => {
      port = await listenOnLoopback(t.app);
    });

    it.each([
      [
        '431 for headers over 16 KiB',
        `GET /api/v1/users/me HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`,
        431,
      ],
      ['414 for a 70 KB URL', `GET /api/v1/${'a'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414],
      ['400 for a malformed request line', 'GET\u0001 / HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['400 for a malformed header name', 'GET / HTTP/1.1\r\nHo st: x\r\n\r\n', 400],
      [
        '400 for an HTTP/1.1 request without a Host header',
        'GET /api/v1/users/me HTTP/1.1\r\nConnection: close\r\n\r\n',
        400,
      ],
    ])('%s, as problem details', async (_case, raw, status) => {
      const response = await rawExchange(port, raw);
      expectProblem(response, status);
      expect(response.headers.connection).toBe('close');
      await request(t.http).get('/health/live').expect(200);
    });

    it('415 for a body sent without any Content-Type', async () => {
      const response = await rawExchange(
        port,
        'POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
      );
      expectProblem(response, 415);
      expect(response.body.type).toBe('urn:ymera:problem:unsupported-media-type');
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
