import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import { verifyDispatch } from '../sdk/agent';
import request from 'supertest';
import { API_KEY_SCOPES, ApiKeyScope } from '../src/common/auth/scopes';
import { startApp, TestApp } from './support/app';
import { registerAdmin, registerUser, RegisteredUser } from './support/factories';
import { isolatedEnv, IsolatedEnv } from './support/isolated-database';
import { expectProblem } from './support/problem-details';
import { ListeningApp, PROCESS_START_TIMEOUT_MS, spawnListeningApp } from './support/processes';
import { TestAgent, waitFor } from './support/test-agent';

/** Revocation and rotation reach every api process within this (they are heard at commit). */
const CHANGE_BOUND_MS = 1000;
const INVALID = 'Bearer realm="ymera", error="invalid_token", error_description=';

type Target = { http: TestApp['http'] | string };
type Method = 'get' | 'post' | 'patch' | 'delete';

interface CreatedAgent {
  id: string;
  signingSecret: string;
  agentToken: string;
}

interface CreatedKey {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  key: string;
}

interface AuditRow {
  actor_id: string | null;
  action: string;
  resource_id: string | null;
  details: Record<string, unknown>;
}

function call(t: Target, method: Method, path: string, token?: string, body?: object) {
  let pending = request(t.http)[method](path);
  if (token !== undefined) pending = pending.set('Authorization', `Bearer ${token}`);
  return body === undefined ? pending : pending.send(body);
}

/**
 * Agent tokens and API keys (README, "Machine identities"): what each admits, that revocation and
 * rotation end a token at once on every api process, and what the audit trail records.
 */
describe('machine identities', () => {
  let iso: IsolatedEnv;
  let a: TestApp;
  /** A second api process of the same install, as its own OS process. */
  let other: ListeningApp;
  let b: Target;
  let owner: RegisteredUser;
  let stranger: RegisteredUser;
  let admin: RegisteredUser;
  let testAgent: TestAgent;

  beforeAll(async () => {
    // Its own database and queue: this file's worker dispatches to its own loopback agent.
    iso = await isolatedEnv('machine_ids');
    [a, other] = await Promise.all([
      startApp({ ...iso.env, AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1' }),
      spawnListeningApp({ ...iso.env, APP_ROLE: 'api' }),
    ]);
    b = { http: other.url };
    [owner, stranger, admin] = await Promise.all([
      registerUser(a),
      registerUser(a),
      registerAdmin(a),
    ]);
    testAgent = await TestAgent.start();
  }, PROCESS_START_TIMEOUT_MS + 30_000);

  afterAll(async () => {
    await a?.close();
    if (other) expect(await other.stop()).toEqual({ code: 0, signal: null });
    await testAgent?.stop();
    await iso?.drop();
  });

  async function createAgent(
    user: RegisteredUser,
    capability = 'summarise',
    endpointUrl = 'http://127.0.0.1:9/run',
  ): Promise<CreatedAgent> {
    const response = await call(a, 'post', '/api/v1/agents', user.accessToken, {
      name: `agent-${capability}`,
      capabilities: [capability],
      endpointUrl,
    }).expect(201);
    return response.body as CreatedAgent;
  }

  async function createKey(
    user: RegisteredUser,
    scopes: ApiKeyScope[],
    expiresAt?: string,
  ): Promise<CreatedKey> {
    const response = await call(a, 'post', '/api/v1/api-keys', user.accessToken, {
      name: `key-${scopes.join('-')}`,
      scopes,
      ...(expiresAt ? { expiresAt } : {}),
    }).expect(201);
    return response.body as CreatedKey;
  }

  /** Waits until both processes answer `status` to the token, within the contract's bound. */
  async function everywhere(method: Method, path: string, token: string, status: number) {
    for (const t of [a, b]) {
      await waitFor(async () => (await call(t, method, path, token, {})).status === status, {
        timeoutMs: CHANGE_BOUND_MS,
        intervalMs: 20,
        what: `${status} for ${method.toUpperCase()} ${path}`,
      });
    }
  }

  const auditRows = (action: string, resourceId: string): Promise<AuditRow[]> =>
    a.dataSource.query(
      'SELECT actor_id, action, resource_id, details FROM audit_logs WHERE action = $1 AND resource_id = $2',
      [action, resourceId],
    );

  describe('agent tokens', () => {
    let agent: CreatedAgent;

    beforeAll(async () => {
      agent = await createAgent(owner);
    });

    it('are issued with the agent, prefixed ymra_, and never shown again', async () => {
      expect(agent.agentToken).toMatch(/^ymra_[A-Za-z0-9_-]{43}$/);
      const fetched = await call(a, 'get', `/api/v1/agents/${agent.id}`, owner.accessToken);
      const listed = await call(a, 'get', '/api/v1/agents', owner.accessToken);
      for (const response of [fetched, listed]) {
        expect(response.status).toBe(200);
        expect(JSON.stringify(response.body)).not.toContain(agent.agentToken);
        expect(JSON.stringify(response.body)).not.toContain('agentToken');
      }
    });

    it("send the agent's heartbeat on /api/v1/agent/heartbeat, on every process", async () => {
      const beat = await call(a, 'post', '/api/v1/agent/heartbeat', agent.agentToken, {
        status: 'busy',
      }).expect(200);
      expect(beat.body).toEqual({
        id: agent.id,
        status: 'busy',
        lastHeartbeat: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      });
      const beatOnB = await call(b, 'post', '/api/v1/agent/heartbeat', agent.agentToken, {});
      expect(beatOnB.status).toBe(200);
      expect(beatOnB.body).toMatchObject({ id: agent.id, status: 'active' });
      const seen = await call(a, 'get', `/api/v1/agents/${agent.id}`, owner.accessToken);
      expect(seen.body).toMatchObject({
        status: 'active',
        lastHeartbeat: beatOnB.body.lastHeartbeat,
      });
    });

    it('validate the heartbeat like the owner route does', async () => {
      const refused = await call(a, 'post', '/api/v1/agent/heartbeat', agent.agentToken, {
        status: 'sleeping',
      });
      expectProblem(refused, 400);
    });

    it.each([
      ['get', '/api/v1/agents'],
      ['post', '/api/v1/agents/{id}/heartbeat'],
      ['get', '/api/v1/tasks'],
      ['get', '/api/v1/users/me'],
      ['get', '/api/v1/api-keys'],
      ['get', '/api/v1/audit-logs'],
      ['post', '/api/v1/auth/logout'],
    ] as const)('are refused with 401 on %s %s (not the agent API)', async (method, path) => {
      const response = await call(a, method, path.replace('{id}', agent.id), agent.agentToken, {});
      expectProblem(response, 401);
      expect(response.body.type).toBe('urn:ymera:problem:agent-token-not-accepted');
      expect(response.headers['www-authenticate']).toBe(
        `${INVALID}"An agent token works only on the agent API"`,
      );
    });

    it("are the only credential the agent API takes: a user's token or API key is 401", async () => {
      const key = await createKey(owner, [...API_KEY_SCOPES]);
      for (const token of [owner.accessToken, key.key]) {
        const response = await call(a, 'post', '/api/v1/agent/heartbeat', token, {});
        expectProblem(response, 401);
        expect(response.body.type).toBe('urn:ymera:problem:agent-token-required');
        expect(response.headers['www-authenticate']).toBe(
          `${INVALID}"The route takes only an agent token"`,
        );
      }
      const anonymous = await request(a.http).post('/api/v1/agent/heartbeat').send({});
      expectProblem(anonymous, 401);
      expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="ymera"');
    });

    it('refuse a token Ymera never issued, however it is shaped', async () => {
      for (const token of [`ymra_${'A'.repeat(43)}`, 'ymra_short', `ymra_${'A'.repeat(42)}+`]) {
        const response = await call(a, 'post', '/api/v1/agent/heartbeat', token, {});
        expectProblem(response, 401);
        expect(response.body.type).toBe('urn:ymera:problem:invalid-agent-token');
        expect(response.headers['www-authenticate']).toBe(`${INVALID}"The agent token is invalid"`);
      }
    });

    it("keep working after the owner's access token expired", async () => {
      const expired = new JwtService({ secret: a.config.jwt.secret }).sign(
        { sub: owner.id, username: owner.username, role: 'user' },
        { algorithm: 'HS256', expiresIn: -10 },
      );
      const refused = await call(a, 'get', '/api/v1/users/me', expired);
      expectProblem(refused, 401);
      expect(refused.body.type).toBe('urn:ymera:problem:token-expired');
      await call(a, 'post', '/api/v1/agent/heartbeat', agent.agentToken, {}).expect(200);
    });

    it("stop working while the owner's account is disabled, on every process", async () => {
      const user = await registerUser(a);
      const own = await createAgent(user);
      for (const t of [a, b]) {
        await call(t, 'post', '/api/v1/agent/heartbeat', own.agentToken, {}).expect(200);
      }
      await a.dataSource.query('UPDATE users SET is_active = false WHERE id = $1', [user.id]);
      await everywhere('post', '/api/v1/agent/heartbeat', own.agentToken, 401);
      const refused = await call(b, 'post', '/api/v1/agent/heartbeat', own.agentToken, {});
      expect(refused.body.type).toBe('urn:ymera:problem:account-unavailable');
      await a.dataSource.query('UPDATE users SET is_active = true WHERE id = $1', [user.id]);
      await everywhere('post', '/api/v1/agent/heartbeat', own.agentToken, 200);
    });

    it('stop working when the agent is deleted, on every process', async () => {
      const doomed = await createAgent(owner);
      for (const t of [a, b]) {
        await call(t, 'post', '/api/v1/agent/heartbeat', doomed.agentToken, {}).expect(200);
      }
      await call(a, 'delete', `/api/v1/agents/${doomed.id}`, owner.accessToken).expect(204);
      await everywhere('post', '/api/v1/agent/heartbeat', doomed.agentToken, 401);
    });
  });

  describe('credential rotation', () => {
    it('issues a new token and signing secret; the old token stops at once on every process', async () => {
      const agent = await createAgent(owner);
      // Both processes have seen (and may have cached) the old token.
      for (const t of [a, b]) {
        await call(t, 'post', '/api/v1/agent/heartbeat', agent.agentToken, {}).expect(200);
      }
      const rotated = await call(
        b,
        'post',
        `/api/v1/agents/${agent.id}/credentials`,
        owner.accessToken,
      ).expect(200);
      const fresh = rotated.body as { agentToken: string; signingSecret: string };
      expect(Object.keys(fresh).sort()).toEqual(['agentToken', 'signingSecret']);
      expect(fresh.agentToken).toMatch(/^ymra_[A-Za-z0-9_-]{43}$/);
      expect(fresh.signingSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(fresh.agentToken).not.toBe(agent.agentToken);
      expect(fresh.signingSecret).not.toBe(agent.signingSecret);

      await everywhere('post', '/api/v1/agent/heartbeat', agent.agentToken, 401);
      const old = await call(a, 'post', '/api/v1/agent/heartbeat', agent.agentToken, {});
      expect(old.body.type).toBe('urn:ymera:problem:invalid-agent-token');
      for (const t of [a, b]) {
        await call(t, 'post', '/api/v1/agent/heartbeat', fresh.agentToken, {}).expect(200);
      }

      const [row] = await auditRows('agent.credentials_rotate', agent.id);
      expect(row).toMatchObject({ actor_id: owner.id, details: { ownerId: owner.id } });
      const text = JSON.stringify(row);
      for (const secret of [fresh.agentToken, fresh.signingSecret, agent.agentToken]) {
        expect(text).not.toContain(secret);
      }
    });

    it('signs the next dispatch with the new secret only', async () => {
      const agent = await createAgent(owner, 'rotated', testAgent.url);
      const rotated = await call(
        a,
        'post',
        `/api/v1/agents/${agent.id}/credentials`,
        owner.accessToken,
      ).expect(200);
      const fresh = rotated.body as { agentToken: string; signingSecret: string };
      testAgent.secret = fresh.signingSecret;
      await call(a, 'post', '/api/v1/agent/heartbeat', fresh.agentToken, {}).expect(200);
      const task = await call(a, 'post', '/api/v1/tasks', owner.accessToken, {
        name: 'after rotation',
        taskType: 'rotated',
      }).expect(201);
      const taskId = (task.body as { id: string }).id;
      const dispatched = await testAgent.waitForRequest((r) => r.body?.taskId === taskId);
      expect(dispatched.signatureValid).toBe(true);
      expect(() =>
        verifyDispatch({
          rawBody: dispatched.raw,
          headers: dispatched.headers,
          signingSecret: agent.signingSecret,
        }),
      ).toThrow(expect.objectContaining({ reason: 'bad-signature' }));
    });

    it("is the owner's or an admin's: anyone else gets 404", async () => {
      const agent = await createAgent(owner);
      const refused = await call(
        a,
        'post',
        `/api/v1/agents/${agent.id}/credentials`,
        stranger.accessToken,
      );
      expectProblem(refused, 404);
      await call(a, 'post', '/api/v1/agent/heartbeat', agent.agentToken, {}).expect(200);
      await call(a, 'post', `/api/v1/agents/${agent.id}/credentials`, admin.accessToken).expect(
        200,
      );
      const [row] = await auditRows('agent.credentials_rotate', agent.id);
      expect(row.actor_id).toBe(admin.id);
    });

    it('gives an agent registered before agent tokens its first token', async () => {
      const agent = await createAgent(owner);
      await a.dataSource.query('UPDATE agents SET token_hash = NULL WHERE id = $1', [agent.id]);
      await everywhere('post', '/api/v1/agent/heartbeat', agent.agentToken, 401);
      const rotated = await call(
        a,
        'post',
        `/api/v1/agents/${agent.id}/credentials`,
        owner.accessToken,
      ).expect(200);
      await call(b, 'post', '/api/v1/agent/heartbeat', rotated.body.agentToken, {}).expect(200);
    });
  });

  describe('API keys', () => {
    it('are created with their key shown once, prefixed ymrk_, and audited without it', async () => {
      const created = await call(a, 'post', '/api/v1/api-keys', owner.accessToken, {
        name: 'ci',
        scopes: ['tasks:read'],
        expiresAt: '2099-12-31T23:59:59Z',
      }).expect(201);
      const key = created.body as CreatedKey;
      expect(Object.keys(key).sort()).toEqual(
        ['createdAt', 'expiresAt', 'id', 'key', 'lastUsedAt', 'name', 'prefix', 'scopes'].sort(),
      );
      expect(key).toMatchObject({
        name: 'ci',
        scopes: ['tasks:read'],
        expiresAt: '2099-12-31T23:59:59.000Z',
        lastUsedAt: null,
      });
      expect(key.key).toMatch(/^ymrk_[A-Za-z0-9_-]{43}$/);
      expect(key.key.startsWith(key.prefix)).toBe(true);
      expect(key.prefix).toMatch(/^ymrk_.{6}$/);

      const listed = await call(a, 'get', '/api/v1/api-keys', owner.accessToken).expect(200);
      const { key: secret, ...shown } = key;
      expect((listed.body as { items: unknown[] }).items).toContainEqual(shown);
      expect(JSON.stringify(listed.body)).not.toContain(secret);

      const [row] = await auditRows('apikey.create', key.id);
      expect(row).toMatchObject({
        actor_id: owner.id,
        details: { name: 'ci', prefix: key.prefix, scopes: ['tasks:read'] },
      });
      expect(JSON.stringify(row)).not.toContain(secret);
    });

    it("list only the caller's own keys, an admin's too", async () => {
      const mine = await createKey(stranger, ['agents:read']);
      const theirs = await createKey(owner, ['agents:read']);
      const adminsOwn = await createKey(admin, ['agents:read']);
      const ids = async (user: RegisteredUser) =>
        (
          (await call(a, 'get', '/api/v1/api-keys', user.accessToken).expect(200)).body as {
            items: { id: string }[];
          }
        ).items.map((item) => item.id);
      expect(await ids(stranger)).toEqual([mine.id]);
      expect(await ids(owner)).toContain(theirs.id);
      expect(await ids(owner)).not.toContain(mine.id);
      expect(await ids(admin)).toEqual([adminsOwn.id]);
    });

    it.each([
      ['no scopes', { name: 'k', scopes: [] }],
      ['an unknown scope', { name: 'k', scopes: ['admin'] }],
      ['a repeated scope', { name: 'k', scopes: ['tasks:read', 'tasks:read'] }],
      ['no name', { scopes: ['tasks:read'] }],
      [
        'an expiry in the past',
        { name: 'k', scopes: ['tasks:read'], expiresAt: '2020-01-01T00:00:00Z' },
      ],
      [
        'an expiry without a time zone',
        { name: 'k', scopes: ['tasks:read'], expiresAt: '2099-01-01T00:00:00' },
      ],
      ['an expiry that is no date', { name: 'k', scopes: ['tasks:read'], expiresAt: 'tomorrow' }],
      ['a key chosen by the client', { name: 'k', scopes: ['tasks:read'], key: 'ymrk_mine' }],
    ])('are refused with 400 for %s', async (_, body) => {
      const response = await call(a, 'post', '/api/v1/api-keys', owner.accessToken, body);
      expectProblem(response, 400);
    });

    /** Each scoped route, and the one scope that admits it. */
    const SCOPED: [Method, string, ApiKeyScope][] = [
      ['get', '/api/v1/agents', 'agents:read'],
      ['get', '/api/v1/agents/{id}', 'agents:read'],
      ['post', '/api/v1/agents', 'agents:write'],
      ['patch', '/api/v1/agents/{id}', 'agents:write'],
      ['delete', '/api/v1/agents/{id}', 'agents:write'],
      ['post', '/api/v1/agents/{id}/heartbeat', 'agents:write'],
      ['post', '/api/v1/agents/{id}/credentials', 'agents:write'],
      ['get', '/api/v1/tasks', 'tasks:read'],
      ['get', '/api/v1/tasks/{id}', 'tasks:read'],
      ['get', '/api/v1/tasks/{id}/attempts', 'tasks:read'],
      ['post', '/api/v1/tasks', 'tasks:write'],
      ['post', '/api/v1/tasks/{id}/cancel', 'tasks:write'],
    ];

    it.each(API_KEY_SCOPES.map((scope) => [scope]))(
      'with the scope %s reach exactly the routes of that scope (403 elsewhere)',
      async (scope) => {
        const key = await createKey(owner, [scope]);
        const wrong: string[] = [];
        for (const [method, path, needs] of SCOPED) {
          // An id of nothing: an admitted request goes on to a 404 (or a 400 for a body).
          const response = await call(a, method, path.replace('{id}', randomUUID()), key.key, {});
          const admitted = response.status !== 401 && response.status !== 403;
          if (admitted !== (needs === scope)) {
            wrong.push(`${method.toUpperCase()} ${path} -> ${response.status}`);
          } else if (!admitted) {
            expectProblem(response, 403);
            expect(response.body.type).toBe('urn:ymera:problem:scope-required');
            expect(response.headers['www-authenticate']).toBe(
              `Bearer realm="ymera", error="insufficient_scope", scope="${needs}"`,
            );
          }
        }
        expect(wrong).toEqual([]);
      },
    );

    it('act as their owner within their scopes, audited via api_key', async () => {
      const key = await createKey(owner, ['agents:write', 'tasks:write', 'tasks:read']);
      const agent = await call(a, 'post', '/api/v1/agents', key.key, {
        name: 'made-with-a-key',
        capabilities: ['keyed'],
        endpointUrl: 'http://127.0.0.1:9/run',
      }).expect(201);
      expect(agent.body).toMatchObject({ ownerId: owner.id });
      const task = await call(a, 'post', '/api/v1/tasks', key.key, {
        name: 'made with a key',
        taskType: 'keyed',
      }).expect(201);
      expect(task.body).toMatchObject({ ownerId: owner.id });
      await call(a, 'get', `/api/v1/tasks/${task.body.id}`, owner.accessToken).expect(200);
      await call(a, 'post', `/api/v1/tasks/${task.body.id}/cancel`, key.key).expect(200);

      const via = { via: 'api_key', keyId: key.id };
      const [created] = await auditRows('agent.create', agent.body.id);
      const [submitted] = await auditRows('task.create', task.body.id);
      const [cancelled] = await auditRows('task.cancel', task.body.id);
      for (const row of [created, submitted, cancelled]) {
        expect(row).toMatchObject({ actor_id: owner.id, details: via });
      }
      // What a user's own token does is recorded as before.
      const byToken = await createAgent(owner);
      const [plain] = await auditRows('agent.create', byToken.id);
      expect(plain.details).not.toHaveProperty('via');
    });

    it.each([
      ['get', '/api/v1/users/me'],
      ['get', '/api/v1/api-keys'],
      ['post', '/api/v1/api-keys'],
      ['delete', '/api/v1/api-keys/{id}'],
      ['post', '/api/v1/auth/login'],
      ['post', '/api/v1/auth/refresh'],
      ['get', '/api/v1/audit-logs'],
    ] as const)(
      "never reach %s %s, an admin's key with every scope included (403)",
      async (method, path) => {
        const key = await createKey(admin, [...API_KEY_SCOPES]);
        const response = await call(a, method, path.replace('{id}', key.id), key.key, {
          name: 'nested',
          scopes: ['tasks:read'],
        });
        expectProblem(response, 403);
        expect(response.body.type).toBe('urn:ymera:problem:scope-required');
      },
    );

    it('refuse a key Ymera never issued (401)', async () => {
      const response = await call(a, 'get', '/api/v1/tasks', `ymrk_${'A'.repeat(43)}`);
      expectProblem(response, 401);
      expect(response.body.type).toBe('urn:ymera:problem:invalid-api-key');
      expect(response.headers['www-authenticate']).toBe(`${INVALID}"The API key is invalid"`);
    });

    it('stop working once expired, with a 401 that says so', async () => {
      const soon = new Date(Date.now() + 1500).toISOString();
      const key = await createKey(owner, ['tasks:read'], soon);
      await call(a, 'get', '/api/v1/tasks', key.key).expect(200);
      // The passing of time is not an event the test can be told about.
      await waitFor(async () => (await call(a, 'get', '/api/v1/tasks', key.key)).status === 401, {
        timeoutMs: 5000,
        what: 'the key to expire',
      });
      const expired = await call(a, 'get', '/api/v1/tasks', key.key);
      expectProblem(expired, 401);
      expect(expired.body.type).toBe('urn:ymera:problem:api-key-expired');
      expect(expired.headers['www-authenticate']).toBe(`${INVALID}"The API key expired"`);
    });

    it('stop working at once when revoked, on every process', async () => {
      const key = await createKey(owner, ['tasks:read']);
      for (const t of [a, b]) await call(t, 'get', '/api/v1/tasks', key.key).expect(200);
      await call(b, 'delete', `/api/v1/api-keys/${key.id}`, stranger.accessToken).expect(404);
      await call(b, 'delete', `/api/v1/api-keys/${key.id}`, owner.accessToken).expect(204);
      await everywhere('get', '/api/v1/tasks', key.key, 401);
      const revoked = await call(a, 'get', '/api/v1/tasks', key.key);
      expect(revoked.body.type).toBe('urn:ymera:problem:invalid-api-key');
      await call(a, 'delete', `/api/v1/api-keys/${key.id}`, owner.accessToken).expect(404);
      const [row] = await auditRows('apikey.revoke', key.id);
      expect(row).toMatchObject({ actor_id: owner.id, details: { prefix: key.prefix } });
    });

    it("stop working while the owner's account is disabled", async () => {
      const user = await registerUser(a);
      const key = await createKey(user, ['tasks:read']);
      await call(b, 'get', '/api/v1/tasks', key.key).expect(200);
      await a.dataSource.query('UPDATE users SET is_active = false WHERE id = $1', [user.id]);
      await everywhere('get', '/api/v1/tasks', key.key, 401);
      const refused = await call(b, 'get', '/api/v1/tasks', key.key);
      expect(refused.body.type).toBe('urn:ymera:problem:account-unavailable');
    });

    it('record their last use, not on every request', async () => {
      const key = await createKey(owner, ['tasks:read']);
      await call(a, 'get', '/api/v1/tasks', key.key).expect(200);
      const lastUsed = async () =>
        (
          (await call(a, 'get', '/api/v1/api-keys', owner.accessToken).expect(200)).body as {
            items: { id: string; lastUsedAt: string | null }[];
          }
        ).items.find((item) => item.id === key.id)!.lastUsedAt;
      const first = await lastUsed();
      expect(first).not.toBeNull();
      for (const t of [a, b, a]) await call(t, 'get', '/api/v1/tasks', key.key).expect(200);
      expect(await lastUsed()).toBe(first);
    });
  });
});
