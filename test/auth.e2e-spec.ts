import { JwtService } from '@nestjs/jwt';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { startApp, TestApp, uniqueIp, uniqueName } from './support/app';
import { DEFAULT_PASSWORD, registerUser } from './support/factories';
import { expectProblem } from './support/problem-details';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('auth', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp();
  });

  afterAll(() => t.close());

  const post = (path: string, body: object, ip = uniqueIp()) =>
    request(t.http).post(`/api/v1/auth/${path}`).set('X-Forwarded-For', ip).send(body);

  const me = (accessToken: string) =>
    request(t.http).get('/api/v1/users/me').set('Authorization', `Bearer ${accessToken}`);

  const usersNamed = async (username: string): Promise<number> => {
    const rows: { count: string }[] = await t.dataSource.query(
      'SELECT count(*) FROM users WHERE lower(username) = lower($1)',
      [username],
    );
    return Number(rows[0].count);
  };

  describe('register', () => {
    it('answers 201 with exactly the shape of the contract', async () => {
      const username = uniqueName('Ada');
      const response = await post('register', {
        username,
        email: `${username}@Example.com`,
        password: DEFAULT_PASSWORD,
      }).expect(201);
      expect(Object.keys(response.body).sort()).toEqual([
        'accessToken',
        'expiresIn',
        'refreshToken',
        'tokenType',
        'user',
      ]);
      expect(response.body).toEqual({
        user: {
          id: expect.stringMatching(UUID),
          username,
          email: `${username}@example.com`.toLowerCase(),
          role: 'user',
          isActive: true,
          createdAt: expect.any(String),
        },
        accessToken: expect.any(String),
        refreshToken: expect.any(String),
        tokenType: 'Bearer',
        expiresIn: 900,
      });
      expect(new Date(response.body.user.createdAt).toISOString()).toBe(
        response.body.user.createdAt,
      );
      expect(String(response.body.accessToken).split('.')).toHaveLength(3);
    });

    it('answers 409 when the username is taken, whatever its case', async () => {
      const user = await registerUser(t);
      const response = await post('register', {
        username: user.username.toUpperCase(),
        email: `${uniqueName()}@example.com`,
        password: DEFAULT_PASSWORD,
      });
      expectProblem(response, 409);
    });

    it('answers 409 when the email is taken, whatever its case', async () => {
      const user = await registerUser(t);
      const response = await post('register', {
        username: uniqueName(),
        email: user.email.toUpperCase(),
        password: DEFAULT_PASSWORD,
      });
      expectProblem(response, 409);
    });

    it.each([
      ['username', { username: 'bad name!' }],
      ['username', { username: 'ab' }],
      ['username', { username: 'x'.repeat(51) }],
      ['password', { password: 'short-pw' }],
      ['password', { password: 'p'.repeat(257) }],
      ['email', { email: 'not-an-email' }],
    ])('answers 400 naming %s for %j', async (field, change) => {
      const username = uniqueName();
      const response = await post('register', {
        username,
        email: `${username}@example.com`,
        password: DEFAULT_PASSWORD,
        ...change,
      });
      expectProblem(response, 400);
      expect(response.body.errors).toEqual(
        expect.arrayContaining([{ field, message: expect.any(String) }]),
      );
      expect(await usersNamed('username' in change ? change.username : username)).toBe(0);
    });

    it('refuses role in the body (no mass assignment) and creates no user', async () => {
      const username = uniqueName();
      const response = await post('register', {
        username,
        email: `${username}@example.com`,
        password: DEFAULT_PASSWORD,
        role: 'admin',
      });
      expectProblem(response, 400);
      expect(response.body.errors).toEqual([{ field: 'role', message: expect.any(String) }]);
      expect(await usersNamed(username)).toBe(0);
    });
  });

  describe('login', () => {
    it('accepts the username or the email, whatever their case', async () => {
      const user = await registerUser(t);
      for (const login of [user.username, user.email, user.email.toUpperCase()]) {
        const response = await post('login', { username: login, password: user.password }).expect(
          200,
        );
        expect(response.body).toMatchObject({
          user: { id: user.id, username: user.username, role: 'user' },
          tokenType: 'Bearer',
          expiresIn: 900,
        });
        await me(response.body.accessToken).expect(200);
      }
    });

    it('answers an unknown user and a wrong password with the same 401', async () => {
      const user = await registerUser(t);
      const wrong = await post('login', { username: user.username, password: 'not the password' });
      const unknown = await post('login', { username: uniqueName(), password: 'not the password' });
      expectProblem(wrong, 401);
      expectProblem(unknown, 401);
      // Only the request's own id and path may differ.
      const comparable = (body: Record<string, unknown>) => ({
        ...body,
        requestId: '',
        instance: '',
      });
      expect(comparable(unknown.body)).toEqual(comparable(wrong.body));
    });

    it('refuses a disabled account with the same 401', async () => {
      const user = await registerUser(t);
      await t.dataSource.query('UPDATE users SET is_active = false WHERE id = $1', [user.id]);
      const response = await post('login', { username: user.username, password: user.password });
      expectProblem(response, 401);
      expect(response.body.type).toBe('urn:ymera:problem:invalid-credentials');
      expect(response.body.detail).toBe('Invalid username or password.');
    });
  });

  describe('users/me', () => {
    it('answers the caller with a token', async () => {
      const user = await registerUser(t);
      const response = await me(user.accessToken).expect(200);
      expect(response.body).toEqual({
        id: user.id,
        username: user.username,
        email: user.email,
        role: 'user',
        isActive: true,
        createdAt: expect.any(String),
      });
    });

    it('answers 401 without a token', async () => {
      expectProblem(await request(t.http).get('/api/v1/users/me'), 401);
    });
  });

  describe('refresh', () => {
    it('returns a new pair and the used refresh token stops working', async () => {
      const user = await registerUser(t);
      const response = await post('refresh', { refreshToken: user.refreshToken }).expect(200);
      expect(response.body).toMatchObject({
        user: { id: user.id },
        tokenType: 'Bearer',
        expiresIn: 900,
      });
      expect(response.body.refreshToken).not.toBe(user.refreshToken);
      await me(response.body.accessToken).expect(200);
      // The new refresh token works once more.
      await post('refresh', { refreshToken: response.body.refreshToken }).expect(200);
      expectProblem(await post('refresh', { refreshToken: user.refreshToken }), 401);
    });

    it('revokes the whole family when a used token is presented again, and audits it', async () => {
      const user = await registerUser(t);
      const second = await post('refresh', { refreshToken: user.refreshToken }).expect(200);
      const third = await post('refresh', { refreshToken: second.body.refreshToken }).expect(200);

      const reuse = await post('refresh', { refreshToken: user.refreshToken });
      expectProblem(reuse, 401);
      expect(reuse.body.type).toBe('urn:ymera:problem:invalid-refresh-token');

      // The newest token of the family, never used, was revoked by the reuse.
      expectProblem(await post('refresh', { refreshToken: third.body.refreshToken }), 401);

      const rows: { outcome: string; actor_id: string; request_id: string }[] =
        await t.dataSource.query(
          `SELECT outcome, actor_id, request_id FROM audit_logs
            WHERE action = 'auth.token_reuse' AND actor_id = $1`,
          [user.id],
        );
      expect(rows).toEqual([
        { outcome: 'failure', actor_id: user.id, request_id: reuse.headers['x-request-id'] },
      ]);
      const live: { count: string }[] = await t.dataSource.query(
        'SELECT count(*) FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL',
        [user.id],
      );
      expect(Number(live[0].count)).toBe(0);
    });

    it('keeps other families (other logins) of the user working after a reuse', async () => {
      const user = await registerUser(t);
      const other = await post('login', { username: user.username, password: user.password });
      await post('refresh', { refreshToken: user.refreshToken }).expect(200);
      expectProblem(await post('refresh', { refreshToken: user.refreshToken }), 401);
      await post('refresh', { refreshToken: other.body.refreshToken }).expect(200);
    });

    it('lets only one of two concurrent uses of a token succeed', async () => {
      const user = await registerUser(t);
      const answers = await Promise.all([
        post('refresh', { refreshToken: user.refreshToken }),
        post('refresh', { refreshToken: user.refreshToken }),
      ]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
    });

    it('answers 401 for a token it never issued', async () => {
      const response = await post('refresh', {
        refreshToken: randomBytes(32).toString('base64url'),
      });
      expectProblem(response, 401);
    });

    it('answers 401 for an expired token', async () => {
      const user = await registerUser(t);
      await t.dataSource.query(
        `UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`,
        [user.id],
      );
      expectProblem(await post('refresh', { refreshToken: user.refreshToken }), 401);
    });
  });

  describe('logout', () => {
    it('answers 204 and the refresh token then fails', async () => {
      const user = await registerUser(t);
      await post('logout', { refreshToken: user.refreshToken }).expect(204);
      expectProblem(await post('refresh', { refreshToken: user.refreshToken }), 401);
      // A stale client after logout is not a theft: no reuse alarm.
      const reuses: unknown[] = await t.dataSource.query(
        `SELECT id FROM audit_logs WHERE action = 'auth.token_reuse' AND actor_id = $1`,
        [user.id],
      );
      expect(reuses).toEqual([]);
    });

    it('revokes the tokens rotated from the same login too', async () => {
      const user = await registerUser(t);
      const next = await post('refresh', { refreshToken: user.refreshToken }).expect(200);
      await post('logout', { refreshToken: user.refreshToken }).expect(204);
      expectProblem(await post('refresh', { refreshToken: next.body.refreshToken }), 401);
    });

    it('answers 204 for an unknown token (idempotent)', async () => {
      await post('logout', { refreshToken: randomBytes(32).toString('base64url') }).expect(204);
    });
  });

  describe('forged access tokens', () => {
    let user: Awaited<ReturnType<typeof registerUser>>;
    let claims: Record<string, unknown>;

    beforeAll(async () => {
      user = await registerUser(t);
      const [, payload] = user.accessToken.split('.');
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    });

    const refused = async (token: string) => {
      expectProblem(await me(token), 401);
      expectProblem(
        await request(t.http).get('/api/v1/audit-logs').set('Authorization', `Bearer ${token}`),
        401,
      );
    };

    it('accepts the genuine token (control)', async () => {
      await me(user.accessToken).expect(200);
    });

    it('refuses alg "none"', async () => {
      const header = base64url({ alg: 'none', typ: 'JWT' });
      await refused(`${header}.${base64url({ ...claims, role: 'admin' })}.`);
      await refused(`${header}.${base64url(claims)}.`);
    });

    it('refuses a token signed with another secret', async () => {
      const other = new JwtService({ secret: randomBytes(48).toString('base64') });
      await refused(other.sign({ sub: user.id, username: user.username, role: 'admin' }));
    });

    it('refuses a tampered payload with the original signature', async () => {
      const [header, , signature] = user.accessToken.split('.');
      await refused(`${header}.${base64url({ ...claims, role: 'admin' })}.${signature}`);
    });

    it('refuses an expired token signed with the real secret', async () => {
      const real = new JwtService({ secret: t.config.jwt.secret });
      const past = Math.floor(Date.now() / 1000) - 60;
      await refused(
        real.sign(
          { sub: user.id, username: user.username, role: 'user', iat: past - 900, exp: past },
          { algorithm: 'HS256' },
        ),
      );
    });

    it('refuses HS512 even with the right secret (algorithm pinned)', async () => {
      const real = new JwtService({ secret: t.config.jwt.secret });
      await refused(
        real.sign(
          { sub: user.id, username: user.username, role: 'user' },
          { algorithm: 'HS512', expiresIn: 900 },
        ),
      );
    });

    it('refuses garbage and a missing scheme', async () => {
      await refused('not-a-jwt');
      expectProblem(
        await request(t.http).get('/api/v1/users/me').set('Authorization', user.accessToken),
        401,
      );
    });
  });
});
