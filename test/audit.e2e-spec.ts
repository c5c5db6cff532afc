import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import request from 'supertest';
import { AuditAction } from '../src/audit/audit-actions';
import { AuditService } from '../src/audit/audit.service';
import { startApp, TestApp, uniqueIp, uniqueName } from './support/app';
import { DEFAULT_PASSWORD, registerAdmin, registerUser, RegisteredUser } from './support/factories';
import { expectProblem } from './support/problem-details';

interface AuditRow {
  id: string;
  timestamp: Date;
  actor_id: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  outcome: string;
  ip_address: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

interface AuditItem {
  id: string;
  timestamp: string;
  action: string;
}

/** The items of a list answer. */
const itemsOf = (response: { body: unknown }): AuditItem[] =>
  (response.body as { items: AuditItem[] }).items;

describe('audit', () => {
  let t: TestApp;
  let admin: RegisteredUser;

  beforeAll(async () => {
    t = await startApp();
    admin = await registerAdmin(t);
  });

  afterAll(() => t.close());

  const rowsOf = (requestId: string): Promise<AuditRow[]> =>
    t.dataSource.query('SELECT * FROM audit_logs WHERE request_id = $1', [requestId]);

  const list = (query: Record<string, string | number>, token = admin.accessToken) =>
    request(t.http).get('/api/v1/audit-logs').query(query).set('Authorization', `Bearer ${token}`);

  describe('every auth event writes one row with the client context and no secrets', () => {
    const userAgent = `audit-spec/1.0 (${randomUUID()})`;
    const secrets: string[] = [];

    /** Sends an auth request as a distinct client and answers the one row it wrote. */
    async function audited(path: string, body: Record<string, string>, status: number) {
      const ip = uniqueIp();
      const response = await request(t.http)
        .post(`/api/v1/auth/${path}`)
        .set('X-Forwarded-For', ip)
        .set('User-Agent', userAgent)
        .send(body)
        .expect(status);
      const requestId = response.headers['x-request-id'];
      expect(requestId).toBeTruthy();
      const rows = await rowsOf(requestId);
      expect(rows).toHaveLength(1);
      const [row] = rows;
      expect(row).toMatchObject({ ip_address: ip, user_agent: userAgent, request_id: requestId });
      if (body.password) secrets.push(body.password);
      if (body.refreshToken) secrets.push(body.refreshToken);
      if (response.body?.accessToken) secrets.push(response.body.accessToken);
      if (response.body?.refreshToken) secrets.push(response.body.refreshToken);
      return { row, body: response.body };
    }

    const username = uniqueName();
    const password = `${DEFAULT_PASSWORD} ${randomUUID()}`;
    let userId: string;
    let refreshToken: string;
    let rotated: string;

    it('auth.register', async () => {
      const { row, body } = await audited(
        'register',
        { username, email: `${username}@example.com`, password },
        201,
      );
      userId = body.user.id;
      refreshToken = body.refreshToken;
      expect(row).toMatchObject({
        action: 'auth.register',
        outcome: 'success',
        actor_id: userId,
        resource_type: 'user',
        resource_id: userId,
      });
    });

    it('auth.login (success)', async () => {
      const { row } = await audited('login', { username, password }, 200);
      expect(row).toMatchObject({ action: 'auth.login', outcome: 'success', actor_id: userId });
    });

    it('auth.login (failure) with the attempted username', async () => {
      const { row } = await audited('login', { username, password: `${password}!` }, 401);
      expect(row).toMatchObject({ action: 'auth.login', outcome: 'failure', actor_id: userId });
      expect(row.details).toMatchObject({ attemptedUsername: username });
    });

    it('auth.login (failure) of an unknown user with the attempted username', async () => {
      const unknown = uniqueName('ghost');
      const { row } = await audited('login', { username: unknown, password }, 401);
      expect(row).toMatchObject({ action: 'auth.login', outcome: 'failure', actor_id: null });
      expect(row.details).toMatchObject({ attemptedUsername: unknown });
    });

    it('auth.refresh', async () => {
      const { row, body } = await audited('refresh', { refreshToken }, 200);
      rotated = body.refreshToken;
      expect(row).toMatchObject({ action: 'auth.refresh', outcome: 'success', actor_id: userId });
    });

    it('auth.token_reuse', async () => {
      const { row } = await audited('refresh', { refreshToken }, 401);
      expect(row).toMatchObject({
        action: 'auth.token_reuse',
        outcome: 'failure',
        actor_id: userId,
      });
    });

    it('auth.logout', async () => {
      const { row } = await audited('logout', { refreshToken: rotated }, 204);
      expect(row).toMatchObject({ action: 'auth.logout', outcome: 'success', actor_id: userId });
    });

    it('holds no password or token anywhere in those rows', async () => {
      const rows: AuditRow[] = await t.dataSource.query(
        'SELECT * FROM audit_logs WHERE user_agent = $1',
        [userAgent],
      );
      expect(rows).toHaveLength(7);
      const text = JSON.stringify(rows);
      // Four passwords and three refresh tokens sent, three token pairs received.
      expect(secrets).toHaveLength(13);
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
    });
  });

  describe('GET /audit-logs', () => {
    it('answers 401 without a token and 403 to a user who is not an admin', async () => {
      expectProblem(await request(t.http).get('/api/v1/audit-logs'), 401);
      const user = await registerUser(t);
      expectProblem(await list({}, user.accessToken), 403);
    });

    it('answers an admin with the list shape of the contract, newest first', async () => {
      const response = await list({}).expect(200);
      expect(Object.keys(response.body).sort()).toEqual([
        'items',
        'limit',
        'nextCursor',
        'skip',
        'total',
      ]);
      expect(response.body).toMatchObject({ skip: 0, limit: 100 });
      const [item] = response.body.items;
      expect(Object.keys(item).sort()).toEqual(
        [
          'id',
          'timestamp',
          'actorId',
          'action',
          'resourceType',
          'resourceId',
          'outcome',
          'ipAddress',
          'userAgent',
          'requestId',
          'details',
        ].sort(),
      );
      const times = itemsOf(response).map((i) => i.timestamp);
      expect([...times].sort().reverse()).toEqual(times);
    });

    it('filters by actorId, action, outcome, resourceType and resourceId', async () => {
      const user = await registerUser(t);
      await request(t.http)
        .post('/api/v1/auth/login')
        .set('X-Forwarded-For', uniqueIp())
        .send({ username: user.username, password: 'definitely wrong' })
        .expect(401);

      const byActor = await list({ actorId: user.id }).expect(200);
      expect(byActor.body.total).toBe(2);
      expect(itemsOf(byActor).map((i) => i.action)).toEqual(['auth.login', 'auth.register']);

      const failures = await list({ actorId: user.id, outcome: 'failure' }).expect(200);
      expect(failures.body.items).toEqual([
        expect.objectContaining({ action: 'auth.login', outcome: 'failure', actorId: user.id }),
      ]);

      const registered = await list({ action: 'auth.register', resourceId: user.id }).expect(200);
      expect(registered.body.total).toBe(1);
      expect(registered.body.items[0]).toMatchObject({
        action: 'auth.register',
        resourceType: 'user',
        resourceId: user.id,
      });

      const byType = await list({ resourceType: 'user', resourceId: user.id }).expect(200);
      expect(byType.body.total).toBe(2);
      const none = await list({ resourceType: 'agent', resourceId: user.id }).expect(200);
      expect(none.body).toMatchObject({ items: [], total: 0, nextCursor: null });
    });

    it('filters by time: from is inclusive, to is exclusive', async () => {
      const resourceType = `time-${randomUUID().slice(0, 8)}`;
      const at = [
        '2001-01-01T00:00:00.000Z',
        '2001-01-01T00:00:01.000Z',
        '2001-01-01T00:00:02.000Z',
      ];
      for (const timestamp of at) {
        await t.dataSource.query(
          `INSERT INTO audit_logs (timestamp, action, outcome, resource_type) VALUES ($1, 'test.event', 'success', $2)`,
          [timestamp, resourceType],
        );
      }
      const between = await list({ resourceType, from: at[0], to: at[2] }).expect(200);
      expect(itemsOf(between).map((i) => i.timestamp)).toEqual([at[1], at[0]]);
      const after = await list({ resourceType, from: at[1] }).expect(200);
      expect(after.body.total).toBe(2);
      const before = await list({ resourceType, to: at[1] }).expect(200);
      expect(itemsOf(before).map((i) => i.timestamp)).toEqual([at[0]]);
    });

    it.each([
      [{ actorId: 'not-a-uuid' }, 'actorId'],
      [{ outcome: 'maybe' }, 'outcome'],
      [{ from: 'yesterday' }, 'from'],
      [{ to: '2001-13-45' }, 'to'],
      [{ limit: 0 }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ skip: -1 }, 'skip'],
      [{ skip: 1.5 }, 'skip'],
      [{ skip: '99999999999999999999' }, 'skip'],
      [{ action: 'auth\u0000login' }, 'action'],
      [{ resourceId: '\u0000' }, 'resourceId'],
      [{ sort: 'asc' }, 'sort'],
    ])('answers 400 for %j', async (query, field) => {
      const response = await list(query);
      expectProblem(response, 400);
      expect(response.body.errors).toEqual(
        expect.arrayContaining([{ field, message: expect.any(String) }]),
      );
    });

    it('clamps a limit over 1000 to 1000', async () => {
      const response = await list({ limit: 5000 }).expect(200);
      expect(response.body.limit).toBe(1000);
    });

    describe('pagination', () => {
      const resourceType = `page-${randomUUID().slice(0, 8)}`;
      let expected: string[];

      beforeAll(async () => {
        // 23 rows, most of them sharing a timestamp, so the id decides their order.
        for (let i = 0; i < 23; i += 1) {
          const timestamp = new Date(Date.UTC(2001, 5, 1, 0, 0, i % 4)).toISOString();
          await t.dataSource.query(
            `INSERT INTO audit_logs (timestamp, action, outcome, resource_type) VALUES ($1, 'test.event', 'success', $2)`,
            [timestamp, resourceType],
          );
        }
        const rows: { id: string }[] = await t.dataSource.query(
          'SELECT id FROM audit_logs WHERE resource_type = $1 ORDER BY timestamp DESC, id DESC',
          [resourceType],
        );
        expected = rows.map((r) => r.id);
      });

      it('walks every page by nextCursor without duplicates or gaps', async () => {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const query: Record<string, string | number> = { resourceType, limit: 5 };
          if (cursor) query.cursor = cursor;
          const response = await list(query).expect(200);
          expect(response.body).toMatchObject({ total: 23, skip: 0, limit: 5 });
          seen.push(...itemsOf(response).map((i) => i.id));
          cursor = response.body.nextCursor;
          pages += 1;
          expect(pages).toBeLessThanOrEqual(5);
        } while (cursor);
        expect(pages).toBe(5);
        expect(seen).toEqual(expected);
      });

      it('pages by skip the same way', async () => {
        const first = await list({ resourceType, limit: 10 }).expect(200);
        const second = await list({ resourceType, limit: 10, skip: 10 }).expect(200);
        const third = await list({ resourceType, limit: 10, skip: 20 }).expect(200);
        expect(third.body.nextCursor).toBeNull();
        expect([first, second, third].flatMap((r) => itemsOf(r).map((i) => i.id))).toEqual(
          expected,
        );
      });

      it('answers the last page with nextCursor null', async () => {
        const response = await list({ resourceType, limit: 23 }).expect(200);
        expect(response.body.items).toHaveLength(23);
        expect(response.body.nextCursor).toBeNull();
      });

      it.each([
        ['garbage', 'not a cursor'],
        ['valid base64 of the wrong shape', Buffer.from('{"a":1}').toString('base64url')],
        ['a bad id', Buffer.from('["2001-06-01T00:00:00.000Z","1; DROP"]').toString('base64url')],
        ['a bad time', Buffer.from(`["soon","${randomUUID()}"]`).toString('base64url')],
        [
          'year 0',
          Buffer.from(`["0000-01-01T00:00:00.000Z","${randomUUID()}"]`).toString('base64url'),
        ],
        ['a bare number', Buffer.from(`["1","${randomUUID()}"]`).toString('base64url')],
      ])('answers 400 for a cursor that is %s', async (_case, cursor) => {
        expectProblem(await list({ resourceType, cursor }), 400);
      });
    });
  });

  it('redacts secrets at any depth in the details, whoever writes the record', async () => {
    const resourceId = randomUUID();
    await t.app.get(AuditService).record({
      action: AuditAction.AgentUpdate,
      resourceType: 'agent',
      resourceId,
      details: {
        name: 'kept',
        password: 'p4ss',
        nested: { apiKey: 'k3y', list: [{ refreshToken: 't0k' }, 7], Authorization: 'Bearer x' },
      },
    });
    const [row] = await t.dataSource.query<{ details: unknown }[]>(
      'SELECT details FROM audit_logs WHERE resource_id = $1',
      [resourceId],
    );
    expect(row.details).toEqual({
      name: 'kept',
      password: '[redacted]',
      nested: {
        apiKey: '[redacted]',
        list: [{ refreshToken: '[redacted]' }, 7],
        Authorization: '[redacted]',
      },
    });
  });

  describe('append-only in the database itself, even to its owner', () => {
    // The service's role may not UPDATE, DELETE or TRUNCATE at all (database-roles.e2e-spec.ts);
    // the triggers hold against the owner too, who has every privilege.
    let owner: Client;
    let row: AuditRow;

    beforeAll(async () => {
      owner = new Client({ connectionString: process.env.MIGRATION_DATABASE_URL });
      await owner.connect();
      const rows: AuditRow[] = await t.dataSource.query(
        `INSERT INTO audit_logs (action, outcome, resource_type) VALUES ('test.event', 'success', $1) RETURNING *`,
        [`immutable-${randomUUID().slice(0, 8)}`],
      );
      row = rows[0];
    });

    afterAll(() => owner.end());

    /** Runs a statement in a transaction that is always rolled back, so a failure to refuse harms no one. */
    async function attempt(sql: string, parameters: unknown[] = []): Promise<unknown> {
      await owner.query('BEGIN');
      try {
        return await owner.query(sql, parameters);
      } finally {
        await owner.query('ROLLBACK');
      }
    }

    it.each([
      ['UPDATE', `UPDATE audit_logs SET action = 'tampered' WHERE id = $1`, true],
      ['DELETE', 'DELETE FROM audit_logs WHERE id = $1', true],
      ['TRUNCATE', 'TRUNCATE audit_logs', false],
    ])('refuses %s', async (operation, sql, withId) => {
      await expect(attempt(sql, withId ? [row.id] : [])).rejects.toThrow(
        `audit_logs is append-only: ${operation} is not allowed`,
      );
      const after: AuditRow[] = await t.dataSource.query('SELECT * FROM audit_logs WHERE id = $1', [
        row.id,
      ]);
      expect(after).toEqual([row]);
    });
  });
});
