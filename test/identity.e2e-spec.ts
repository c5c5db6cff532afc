import { JwtService } from '@nestjs/jwt';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { startApp, TestApp, uniqueIp } from './support/app';
import { ListeningApp, PROCESS_START_TIMEOUT_MS, spawnListeningApp } from './support/processes';
import { registerAdmin, registerUser, RegisteredUser } from './support/factories';
import { expectProblem } from './support/problem-details';
import { ADMIN_DATABASE_URL } from './support/test-env';
import { waitFor } from './support/test-agent';

/** The hardening rules' bound: a changed account is refused within 1 s on every api process. */
const ACCOUNT_CHANGE_BOUND_MS = 1000;

const INVALID = 'Bearer realm="ymera", error="invalid_token", error_description=';

/**
 * Who a request is from: an access token stops working as soon as its account changes, on every
 * api process; a refused token says why (RFC 6750); and X-Forwarded-For is believed only when it
 * holds an IP address.
 */
describe('identity', () => {
  let a: TestApp;
  /** A second api process of the same install (the same database and Redis), as its own OS process. */
  let other: ListeningApp;
  let b: { http: string };

  beforeAll(async () => {
    [a, other] = await Promise.all([startApp(), spawnListeningApp({ APP_ROLE: 'api' })]);
    b = { http: other.url };
  }, PROCESS_START_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await a.close();
    expect(await other.stop()).toEqual({ code: 0, signal: null });
  });

  const get = (t: { http: TestApp['http'] | string }, path: string, token: string) =>
    request(t.http).get(path).set('Authorization', `Bearer ${token}`);

  /** Waits until both processes answer `status` to the token, within the contract's bound. */
  async function refusedEverywhere(path: string, token: string, status: number) {
    for (const t of [a, b]) {
      await waitFor(async () => (await get(t, path, token)).status === status, {
        timeoutMs: ACCOUNT_CHANGE_BOUND_MS,
        intervalMs: 20,
        what: `${status} for ${path}`,
      });
    }
  }

  describe('an access token outlives no account change', () => {
    let alice: RegisteredUser;

    beforeEach(async () => {
      alice = await registerUser(a);
      // Both processes have seen (and may have cached) the account.
      for (const t of [a, b]) await get(t, '/api/v1/users/me', alice.accessToken).expect(200);
    });

    it('refuses a disabled account with 401 on every process, and accepts it again once enabled', async () => {
      await a.dataSource.query('UPDATE users SET is_active = false WHERE id = $1', [alice.id]);
      await refusedEverywhere('/api/v1/users/me', alice.accessToken, 401);
      const refused = await get(b, '/api/v1/users/me', alice.accessToken);
      expectProblem(refused, 401);
      expect(refused.headers['www-authenticate']).toBe(
        `${INVALID}"The account is disabled or no longer exists"`,
      );
      expect(refused.body.type).toBe('urn:ymera:problem:account-unavailable');

      await a.dataSource.query('UPDATE users SET is_active = true WHERE id = $1', [alice.id]);
      await refusedEverywhere('/api/v1/users/me', alice.accessToken, 200);
    });

    it('refuses a deleted account with 401, not a 500, where it would write', async () => {
      await a.dataSource.query('DELETE FROM users WHERE id = $1', [alice.id]);
      await refusedEverywhere('/api/v1/users/me', alice.accessToken, 401);
      for (const t of [a, b]) {
        const created = await request(t.http)
          .post('/api/v1/agents')
          .set('Authorization', `Bearer ${alice.accessToken}`)
          .send({ name: 'orphan', capabilities: ['x'], endpointUrl: 'https://93.184.215.14' });
        expectProblem(created, 401);
      }
    });

    it('answers 403 to a demoted admin on every process', async () => {
      const admin = await registerAdmin(a);
      for (const t of [a, b]) await get(t, '/api/v1/audit-logs', admin.accessToken).expect(200);
      await a.dataSource.query(`UPDATE users SET role = 'user' WHERE id = $1`, [admin.id]);
      await refusedEverywhere('/api/v1/audit-logs', admin.accessToken, 403);
      // Still the user it was: only the role is gone.
      await get(b, '/api/v1/users/me', admin.accessToken).expect(200);
    });

    it('misses no change while its listening connection is lost and comes back', async () => {
      const admin = new Client({ connectionString: ADMIN_DATABASE_URL });
      await admin.connect();
      const database = new URL(process.env.DATABASE_URL!).pathname.slice(1);
      const listeners = async () =>
        (
          await admin.query(
            `SELECT pid FROM pg_stat_activity
              WHERE datname = $1 AND application_name LIKE '%-changes' AND query LIKE 'LISTEN%'`,
            [database],
          )
        ).rows.length;
      try {
        await waitFor(async () => (await listeners()) === 2, { what: 'both processes listening' });
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = $1 AND application_name LIKE '%-changes'`,
          [database],
        );
        // Not listening: every request reads the account, so this change is not missed either.
        await a.dataSource.query('UPDATE users SET is_active = false WHERE id = $1', [alice.id]);
        await refusedEverywhere('/api/v1/users/me', alice.accessToken, 401);
        await a.dataSource.query('UPDATE users SET is_active = true WHERE id = $1', [alice.id]);
        await refusedEverywhere('/api/v1/users/me', alice.accessToken, 200);
        // Listening again on its own, and hearing later changes.
        await waitFor(async () => (await listeners()) === 2, { what: 'both listening again' });
        await a.dataSource.query('UPDATE users SET is_active = false WHERE id = $1', [alice.id]);
        await refusedEverywhere('/api/v1/users/me', alice.accessToken, 401);
      } finally {
        await admin.end();
      }
    });
  });

  describe('401 answers say what a client can do (RFC 6750)', () => {
    it('challenges a request without a token, with no error code', async () => {
      const response = await request(a.http).get('/api/v1/users/me');
      expectProblem(response, 401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="ymera"');
      expect((response.body as { detail: string }).detail).toMatch(/access token is required/);
    });

    it('tells an expired token from an invalid one', async () => {
      const user = await registerUser(a);
      const jwt = new JwtService({ secret: a.config.jwt.secret });
      const expired = jwt.sign(
        { sub: user.id, username: user.username, role: 'user' },
        { algorithm: 'HS256', expiresIn: -10 },
      );
      const expiredAnswer = await get(a, '/api/v1/users/me', expired);
      expectProblem(expiredAnswer, 401);
      expect(expiredAnswer.headers['www-authenticate']).toBe(
        `${INVALID}"The access token expired"`,
      );
      expect((expiredAnswer.body as { detail: string }).detail).toMatch(/auth\/refresh/);
      expect(expiredAnswer.body.type).toBe('urn:ymera:problem:token-expired');

      const forged = new JwtService({ secret: randomBytes(48).toString('base64') }).sign(
        { sub: user.id, username: user.username, role: 'admin' },
        { algorithm: 'HS256' },
      );
      for (const token of [forged, 'not-a-jwt']) {
        const invalid = await get(a, '/api/v1/users/me', token);
        expectProblem(invalid, 401);
        expect(invalid.headers['www-authenticate']).toBe(`${INVALID}"The access token is invalid"`);
        expect(invalid.body.type).toBe('urn:ymera:problem:invalid-token');
      }
    });
  });

  describe('X-Forwarded-For', () => {
    let owner: RegisteredUser;

    beforeAll(async () => {
      owner = await registerUser(a);
    });

    async function auditedIp(xff: string): Promise<{ status: number; ip: string | null }> {
      const created = await request(a.http)
        .post('/api/v1/agents')
        .set('Authorization', `Bearer ${owner.accessToken}`)
        .set('X-Forwarded-For', xff)
        .send({ name: 'xff', capabilities: ['x'], endpointUrl: 'https://93.184.215.14' });
      const id = (created.body as { id?: string }).id;
      const rows: { ip_address: string | null }[] = await a.dataSource.query(
        `SELECT ip_address FROM audit_logs WHERE action = 'agent.create' AND resource_id = $1`,
        [id ?? null],
      );
      return { status: created.status, ip: rows[0]?.ip_address ?? null };
    }

    it('records a valid address as the client', async () => {
      expect(await auditedIp('203.0.113.9')).toEqual({ status: 201, ip: '203.0.113.9' });
    });

    it.each([
      ['a 10,000-character value', 'x'.repeat(10_000)],
      ['a host name', 'evil.example'],
      ['markup', '<script>alert(1)</script>'],
      ['an address with a port', '203.0.113.9:443'],
    ])('ignores %s: the write succeeds, audited with the socket address', async (_, xff) => {
      const { status, ip } = await auditedIp(xff);
      expect(status).toBe(201);
      expect(ip).toMatch(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
    });

    it('counts a client that rotates garbage values in the auth limit by its socket address', async () => {
      // Its own Redis prefix: the socket address is shared with every other test of the run.
      const t = await startApp({ REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX}-xff` });
      try {
        const statuses: number[] = [];
        for (let i = 0; i <= t.config.throttle.authLimit; i++) {
          const response = await request(t.http)
            .post('/api/v1/auth/login')
            .set('X-Forwarded-For', `garbage-${randomBytes(4).toString('hex')}`)
            .send({ username: 'nobody', password: 'wrong password!' });
          statuses.push(response.status);
        }
        expect(statuses.at(-1)).toBe(429);
        expect(statuses.slice(0, -1).every((status) => status === 401)).toBe(true);
      } finally {
        await t.close();
      }
    });

    it('still believes a valid address per client', async () => {
      const login = await request(a.http)
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', uniqueIp())
        .send({ username: owner.username, password: owner.password });
      expect(login.status).toBe(200);
    });
  });
});
