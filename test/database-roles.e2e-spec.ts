import { PinoLogger } from 'nestjs-pino';
import { Client } from 'pg';
import request from 'supertest';
import { createApp } from '../src/bootstrap';
import { loadConfig, loadDatabaseConfig } from '../src/config/app-config';
import { migrate } from '../src/database/migrate';
import { startApp, TestApp } from './support/app';
import { registerAdmin, registerUser } from './support/factories';
import { isolatedEnv, IsolatedEnv } from './support/isolated-database';
import { registerTestAgent, TestAgent, waitFor } from './support/test-agent';

/**
 * The service connects as a role that may read and append to audit_logs and nothing more, so even
 * the service cannot rewrite the trail; migrations run as the owner and grant that role (README,
 * "Database roles"). Every app of the e2e run connects as such a role; this file checks what the
 * role can and cannot do, on a database of its own so that tampering with grants touches no other
 * spec.
 */
const TABLE_PRIVILEGES = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'TRUNCATE',
  'REFERENCES',
  'TRIGGER',
];
const READ_WRITE = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];

describe('database roles', () => {
  let iso: IsolatedEnv;
  let owner: Client;
  let service: Client;
  let serviceRole: string;

  /** Each table of the schema with the privileges the service role holds on it. */
  async function servicePrivileges(): Promise<Record<string, string[]>> {
    const { rows } = await owner.query<{ table: string; privileges: string[] }>(
      `SELECT c.relname AS table,
              array(SELECT p FROM unnest($2::text[]) AS p
                     WHERE has_table_privilege($1, c.oid, p)) AS privileges
         FROM pg_class c
        WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
        ORDER BY c.relname`,
      [serviceRole, TABLE_PRIVILEGES],
    );
    return Object.fromEntries(rows.map((row) => [row.table, row.privileges]));
  }

  beforeAll(async () => {
    iso = await isolatedEnv('roles');
    serviceRole = decodeURIComponent(new URL(iso.env.DATABASE_URL).username);
    owner = new Client({ connectionString: iso.env.MIGRATION_DATABASE_URL });
    service = new Client({ connectionString: iso.env.DATABASE_URL });
    await owner.connect();
    await service.connect();
  });

  afterAll(async () => {
    await service.end();
    await owner.end();
    await iso.drop();
  });

  it('runs the service as a role that is neither a superuser nor the owner of audit_logs', async () => {
    const { rows } = await service.query<{ user: string; superuser: boolean; owner: string }>(
      `SELECT current_user AS user, r.rolsuper AS superuser,
              pg_get_userbyid(c.relowner) AS owner
         FROM pg_roles r, pg_class c
        WHERE r.rolname = current_user AND c.oid = 'audit_logs'::regclass`,
    );
    expect(rows).toEqual([{ user: serviceRole, superuser: false, owner: expect.any(String) }]);
    expect(rows[0].owner).not.toBe(serviceRole);
  });

  it('grants it read and write on its tables, only SELECT and INSERT on audit_logs and task_events, nothing on migrations', async () => {
    const privileges = await servicePrivileges();
    expect(privileges).toEqual({
      agents: READ_WRITE,
      api_keys: READ_WRITE,
      audit_logs: ['SELECT', 'INSERT'],
      migrations: [],
      refresh_tokens: READ_WRITE,
      task_attempts: READ_WRITE,
      task_counts: READ_WRITE,
      task_events: ['SELECT', 'INSERT'],
      tasks: READ_WRITE,
      users: READ_WRITE,
      webhook_cursors: READ_WRITE,
      webhook_deliveries: READ_WRITE,
      webhooks: READ_WRITE,
    });
    const { rows } = await owner.query<{ usage: boolean; create: boolean }>(
      `SELECT has_schema_privilege($1, current_schema(), 'USAGE') AS usage,
              has_schema_privilege($1, current_schema(), 'CREATE') AS create`,
      [serviceRole],
    );
    expect(rows).toEqual([{ usage: true, create: false }]);
  });

  describe('as the service role, the audit trail cannot be rewritten', () => {
    let rowsBefore: unknown[];

    beforeAll(async () => {
      await service.query(
        `INSERT INTO audit_logs (action, outcome, resource_type) VALUES ('test.event', 'success', 'roles')`,
      );
      rowsBefore = (await owner.query('SELECT * FROM audit_logs ORDER BY id')).rows;
      expect(rowsBefore.length).toBeGreaterThan(0);
    });

    afterEach(async () => {
      expect((await owner.query('SELECT * FROM audit_logs ORDER BY id')).rows).toEqual(rowsBefore);
    });

    it.each([
      [
        'UPDATE',
        `UPDATE audit_logs SET action = 'tampered'`,
        /permission denied for table audit_logs/,
      ],
      ['DELETE', 'DELETE FROM audit_logs', /permission denied for table audit_logs/],
      ['TRUNCATE', 'TRUNCATE audit_logs', /permission denied for table audit_logs/],
      [
        'SET session_replication_role',
        'SET session_replication_role = replica',
        /permission denied to set parameter "session_replication_role"/,
      ],
      [
        'ALTER TABLE ... DISABLE TRIGGER',
        'ALTER TABLE audit_logs DISABLE TRIGGER USER',
        /must be owner of table audit_logs/,
      ],
      ['DROP TABLE', 'DROP TABLE audit_logs', /must be owner of table audit_logs/],
      [
        'replacing the trigger function',
        `CREATE OR REPLACE FUNCTION audit_logs_append_only() RETURNS trigger LANGUAGE plpgsql
           AS $$ BEGIN RETURN OLD; END $$`,
        /permission denied for schema public/,
      ],
    ])('refuses %s and the rows survive', async (_operation, sql, refusal) => {
      await expect(service.query(sql)).rejects.toThrow(refusal);
      // Had the statement been let through, the next one would now succeed.
      await expect(service.query('DELETE FROM audit_logs')).rejects.toThrow(/permission denied/);
    });
  });

  describe('migrating again', () => {
    it('takes back whatever was granted beyond the set, and covers tables added since', async () => {
      await owner.query(`GRANT ALL ON audit_logs, migrations, users TO ${serviceRoleIdent()}`);
      await owner.query(`GRANT UPDATE (action) ON audit_logs TO ${serviceRoleIdent()}`);
      await owner.query(`GRANT CREATE ON SCHEMA public TO ${serviceRoleIdent()}`);
      await owner.query('CREATE TABLE roles_spec_added (id int PRIMARY KEY)');
      await migrate(loadDatabaseConfig({ ...process.env, ...iso.env }));

      const privileges = await servicePrivileges();
      expect(privileges).toMatchObject({
        audit_logs: ['SELECT', 'INSERT'],
        migrations: [],
        users: READ_WRITE,
        roles_spec_added: READ_WRITE,
      });
      const { rows } = await owner.query<{ column_update: boolean; create: boolean }>(
        `SELECT has_any_column_privilege($1, 'audit_logs', 'UPDATE') AS column_update,
                has_schema_privilege($1, current_schema(), 'CREATE') AS create`,
        [serviceRole],
      );
      expect(rows).toEqual([{ column_update: false, create: false }]);
      await owner.query('DROP TABLE roles_spec_added');
    });

    it('gives the owner back a table the service role came to own', async () => {
      await owner.query('CREATE TABLE roles_spec_owned (id int PRIMARY KEY)');
      await owner.query(`ALTER TABLE roles_spec_owned OWNER TO ${serviceRoleIdent()}`);
      await migrate(loadDatabaseConfig({ ...process.env, ...iso.env }));
      const { rows } = await owner.query<{ owner: string; me: string }>(
        `SELECT pg_get_userbyid(relowner) AS owner, current_user AS me
           FROM pg_class WHERE oid = 'roles_spec_owned'::regclass`,
      );
      expect(rows[0].owner).toBe(rows[0].me);
      expect((await servicePrivileges()).roles_spec_owned).toEqual(READ_WRITE);
      await owner.query('DROP TABLE roles_spec_owned');
    });

    it('fails, naming the statement to run, when the DATABASE_URL user does not exist', async () => {
      const missing = new URL(iso.env.DATABASE_URL);
      missing.username = 'ymera_no_such_role';
      await expect(
        migrate(
          loadDatabaseConfig({ ...process.env, ...iso.env, DATABASE_URL: missing.toString() }),
        ),
      ).rejects.toThrow(
        `The DATABASE_URL user ymera_no_such_role does not exist: create it once as the owner, CREATE ROLE "ymera_no_such_role" LOGIN PASSWORD '...'`,
      );
    });
  });

  it('with MIGRATIONS_RUN=true, migrates at start as the owner and serves as the service role', async () => {
    const name = `${new URL(iso.env.DATABASE_URL).pathname.slice(1)}_at_start`;
    await owner.query(`CREATE DATABASE ${owner.escapeIdentifier(name)}`);
    const url = (base: string) => Object.assign(new URL(base), { pathname: `/${name}` }).toString();
    let t: TestApp | undefined;
    try {
      t = await startApp({
        ...iso.env,
        DATABASE_URL: url(iso.env.DATABASE_URL),
        MIGRATION_DATABASE_URL: url(iso.env.MIGRATION_DATABASE_URL),
        MIGRATIONS_RUN: 'true',
        APP_ROLE: 'api',
      });
      const rows = await t.dataSource.query<{ user: string; owner: string }[]>(
        `SELECT current_user AS user, pg_get_userbyid(relowner) AS owner
           FROM pg_class WHERE oid = 'audit_logs'::regclass`,
      );
      expect(rows).toHaveLength(1);
      expect(rows[0].user).toBe(serviceRole);
      expect(rows[0].owner).not.toBe(serviceRole);
      await registerUser(t);
    } finally {
      await t?.close();
      await owner.query(`DROP DATABASE IF EXISTS ${owner.escapeIdentifier(name)} WITH (FORCE)`);
    }
  });

  describe('the application as the service role', () => {
    let t: TestApp;
    let agent: TestAgent;

    beforeAll(async () => {
      agent = await TestAgent.start();
      t = await startApp({ ...iso.env, AGENT_ENDPOINT_ALLOWLIST: '127.0.0.1' });
    });

    afterAll(async () => {
      await t.close();
      await agent.stop();
    });

    it('registers, creates an agent, runs a task to completion and reads the audit trail', async () => {
      const [{ user }] = await t.dataSource.query<{ user: string }[]>(
        'SELECT current_user AS user',
      );
      expect(user).toBe(serviceRole);
      const alice = await registerUser(t);
      const created = await registerTestAgent(t, alice, agent, { capabilities: ['roles'] });
      const task = await request(t.http)
        .post('/api/v1/tasks')
        .auth(alice.accessToken, { type: 'bearer' })
        .send({ name: 'as the service role', taskType: 'roles' })
        .expect(201);
      const taskId = (task.body as { id: string }).id;
      const done = await waitFor(
        async () => {
          const view = await request(t.http)
            .get(`/api/v1/tasks/${taskId}`)
            .auth(alice.accessToken, { type: 'bearer' })
            .expect(200);
          const body = view.body as { status: string };
          return body.status === 'completed' ? body : undefined;
        },
        { what: 'the task to complete' },
      );
      expect(done).toMatchObject({ agentId: created.id, attempts: 1 });

      const admin = await registerAdmin(t);
      const audit = await request(t.http)
        .get('/api/v1/audit-logs')
        .query({ resourceType: 'task', resourceId: taskId })
        .auth(admin.accessToken, { type: 'bearer' })
        .expect(200);
      const { items } = audit.body as { items: { action: string }[] };
      expect(items.map((item) => item.action)).toContain('task.create');
    });
  });

  describe('the warning at start', () => {
    /** The warnings an app logs while it starts on `databaseUrl`. */
    async function startupWarnings(databaseUrl: string): Promise<[object, string][]> {
      const app = await createApp(
        loadConfig({ ...process.env, ...iso.env, DATABASE_URL: databaseUrl, APP_ROLE: 'api' }),
      );
      const { logger } = await app.resolve(PinoLogger);
      const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
      try {
        await app.init();
        // Start-up lines are buffered until the HTTP server listens, which flushes them.
        app.flushLogs();
        return warn.mock.calls as [object, string][];
      } finally {
        warn.mockRestore();
        await app.close();
      }
    }

    it('is logged when the service runs as a superuser that owns audit_logs', async () => {
      const ownerUser = decodeURIComponent(new URL(iso.env.MIGRATION_DATABASE_URL).username);
      expect(await startupWarnings(iso.env.MIGRATION_DATABASE_URL)).toContainEqual([
        { context: 'Database' },
        `The database role ${ownerUser} could rewrite the audit trail: it is a superuser. ` +
          'Connect the service (DATABASE_URL) as a role with only SELECT and INSERT on audit_logs ' +
          'and migrate as the owner (MIGRATION_DATABASE_URL); see README, "Database roles".',
      ]);
    });

    it('names each right a role that is no superuser should not have', async () => {
      await owner.query(`GRANT UPDATE, TRUNCATE ON audit_logs TO ${serviceRoleIdent()}`);
      try {
        const warnings = await startupWarnings(iso.env.DATABASE_URL);
        expect(warnings.map(([, message]) => message)).toContainEqual(
          expect.stringContaining(
            `The database role ${serviceRole} could rewrite the audit trail: it may UPDATE audit_logs, it may TRUNCATE audit_logs.`,
          ),
        );
      } finally {
        await owner.query(`REVOKE UPDATE, TRUNCATE ON audit_logs FROM ${serviceRoleIdent()}`);
      }
    });

    it('is not logged when the service runs as its own role', async () => {
      const warnings = await startupWarnings(iso.env.DATABASE_URL);
      expect(warnings.filter(([, message]) => /audit trail/.test(message))).toEqual([]);
    });
  });

  function serviceRoleIdent(): string {
    return owner.escapeIdentifier(serviceRole);
  }
});
