import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createOrPromoteAdmin } from '../src/cli/create-admin';
import { startApp, TestApp, uniqueIp, uniqueName } from './support/app';
import { registerUser } from './support/factories';
import { CommandResult, runCommand } from './support/processes';

const ADMIN_PASSWORD = 'a long admin passphrase, not a secret';

const ROOT = join(__dirname, '..');

/** The CLI as `npm run admin:create` runs it, from `cwd` (the repository unless said otherwise). */
function run(
  args: string[],
  env: Record<string, string | undefined>,
  cwd = ROOT,
): Promise<CommandResult> {
  return runCommand(
    process.execPath,
    [
      '-r',
      require.resolve('ts-node/register/transpile-only'),
      join(ROOT, 'src/cli/create-admin.ts'),
      ...args,
    ],
    { cwd, env: { PATH: process.env.PATH, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), ...env } },
  );
}

describe('admin:create', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp();
  });

  afterAll(() => t.close());

  const login = (username: string, password: string) =>
    request(t.http)
      .post('/api/v1/auth/login')
      .set('X-Forwarded-For', uniqueIp())
      .send({ username, password });

  const auditRows = (userId: string): Promise<{ actor_id: string | null; details: object }[]> =>
    t.dataSource.query(
      `SELECT actor_id, details FROM audit_logs WHERE action = 'admin.create' AND resource_id = $1`,
      [userId],
    );

  it('creates an admin who can then list audit logs, and audits it', async () => {
    const username = uniqueName('admin');
    const { user, created } = await createOrPromoteAdmin(t.dataSource, {
      username,
      email: `${username}@Example.com`,
      password: ADMIN_PASSWORD,
    });
    expect(created).toBe(true);
    expect(user).toMatchObject({ username, email: `${username}@example.com`, role: 'admin' });

    const session = await login(username, ADMIN_PASSWORD).expect(200);
    expect(session.body.user.role).toBe('admin');
    await request(t.http)
      .get('/api/v1/audit-logs')
      .set('Authorization', `Bearer ${session.body.accessToken}`)
      .expect(200);

    expect(await auditRows(user.id)).toEqual([
      { actor_id: null, details: { username, promoted: false } },
    ]);
  });

  it('promotes an existing user, keeping the password', async () => {
    const existing = await registerUser(t);
    const { user, created } = await createOrPromoteAdmin(t.dataSource, {
      username: existing.username,
      email: existing.email,
      password: undefined,
    });
    expect(created).toBe(false);
    expect(user.id).toBe(existing.id);
    const session = await login(existing.username, existing.password).expect(200);
    expect(session.body.user.role).toBe('admin');
    expect(await auditRows(existing.id)).toEqual([
      { actor_id: null, details: { username: existing.username, promoted: true } },
    ]);
  });

  it('finds the user to promote by email too', async () => {
    const existing = await registerUser(t);
    const { user } = await createOrPromoteAdmin(t.dataSource, {
      username: uniqueName('other'),
      email: existing.email.toUpperCase(),
      password: undefined,
    });
    expect(user.id).toBe(existing.id);
  });

  it.each([
    ['missing', undefined],
    ['short', 'elevenchars'],
  ])('refuses a %s ADMIN_PASSWORD for a new user and creates nothing', async (_case, password) => {
    const username = uniqueName('admin');
    await expect(
      createOrPromoteAdmin(t.dataSource, { username, email: `${username}@example.com`, password }),
    ).rejects.toThrow('ADMIN_PASSWORD must be set to at least 12 characters');
    const rows: unknown[] = await t.dataSource.query('SELECT id FROM users WHERE username = $1', [
      username,
    ]);
    expect(rows).toEqual([]);
  });

  it('runs from the command line as an operator would', async () => {
    const username = uniqueName('ops');
    const result = await run(['--username', username, '--email', `${username}@example.com`], {
      DATABASE_URL: process.env.DATABASE_URL,
      NODE_ENV: 'test',
      ADMIN_PASSWORD,
    });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const target = new URL(process.env.DATABASE_URL!);
    expect(result.stdout).toMatch(
      new RegExp(
        `^Created admin ${username} \\([0-9a-f-]{36}\\)\\n` +
          `in database ${target.pathname.slice(1)} on ${target.hostname}:${target.port || 5432} ` +
          `as ${target.username} \\(DATABASE_URL from the environment\\)\\n$`,
      ),
    );
    if (target.password) expect(result.stdout).not.toContain(target.password);
    await login(username, ADMIN_PASSWORD).expect(200);
  });

  it('prints its usage for --help and -h, and writes nothing', async () => {
    for (const flag of ['--help', '-h']) {
      const result = await run([flag], {});
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toContain('usage: ADMIN_PASSWORD=... npm run admin:create');
      expect(result.stdout).toContain('DATABASE_URL');
      expect(result.stdout).toContain('.env');
    }
  });

  it('refuses an unknown option with its usage', async () => {
    const result = await run(['--username', 'a', '--email', 'a@example.com', '--nope'], {
      DATABASE_URL: process.env.DATABASE_URL,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("Unknown option '--nope'");
    expect(result.stderr).toContain('usage: ADMIN_PASSWORD=... npm run admin:create');
  });

  describe('from a directory of its own', () => {
    let dir: string;

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'ymera-admin-cli-'));
    });

    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const userExists = async (username: string): Promise<boolean> => {
      const rows = await t.dataSource.query<unknown[]>('SELECT id FROM users WHERE username = $1', [
        username,
      ]);
      return rows.length > 0;
    };

    it('refuses without DATABASE_URL in the environment or a .env, and writes nothing', async () => {
      const username = uniqueName('nodb');
      const result = await run(
        ['--username', username, '--email', `${username}@example.com`],
        { NODE_ENV: 'test', ADMIN_PASSWORD },
        dir,
      );
      expect(result.code).not.toBe(0);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('DATABASE_URL is set neither in the environment nor in');
      expect(result.stderr).toContain('nothing was written');
      expect(await userExists(username)).toBe(false);
    });

    it('refuses when the .env there has no DATABASE_URL either', async () => {
      writeFileSync(join(dir, '.env'), 'NODE_ENV=test\nPORT=3000\n');
      const username = uniqueName('nodb');
      const result = await run(
        ['--username', username, '--email', `${username}@example.com`],
        { ADMIN_PASSWORD },
        dir,
      );
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`nor in ${join(dir, '.env')}`);
      expect(await userExists(username)).toBe(false);
    });

    it('reads DATABASE_URL from the .env of its working directory, and says so', async () => {
      writeFileSync(join(dir, '.env'), `NODE_ENV=test\nDATABASE_URL=${process.env.DATABASE_URL}\n`);
      const username = uniqueName('dotenv');
      const result = await run(
        ['--username', username, '--email', `${username}@example.com`],
        { ADMIN_PASSWORD },
        dir,
      );
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toContain(`(DATABASE_URL from ${join(dir, '.env')})`);
      expect(await userExists(username)).toBe(true);
    });

    it('prefers DATABASE_URL from the environment to the line in .env', async () => {
      writeFileSync(
        join(dir, '.env'),
        'NODE_ENV=test\nDATABASE_URL=postgres://nobody:secret@127.0.0.1:1/elsewhere\n',
      );
      const username = uniqueName('envwins');
      const result = await run(
        ['--username', username, '--email', `${username}@example.com`],
        { ADMIN_PASSWORD, DATABASE_URL: process.env.DATABASE_URL },
        dir,
      );
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toContain('(DATABASE_URL from the environment)');
      expect(result.stdout).not.toContain('elsewhere');
      expect(await userExists(username)).toBe(true);
    });
  });

  it('exits non-zero with usage when arguments are missing', async () => {
    const result = await run(['--username', 'only'], {
      DATABASE_URL: process.env.DATABASE_URL,
      ADMIN_PASSWORD,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('usage: ADMIN_PASSWORD=... npm run admin:create');
  });
});
