import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadConfig } from './app-config';
import { ConfigError } from './env-reader';

const GOOD_SECRET = randomBytes(48).toString('base64');

/** The error loadConfig throws for an environment, or a failure when it throws none. */
function configErrorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('loadConfig', () => {
  describe('JWT_SECRET', () => {
    it('is required', () => {
      const error = configErrorOf({});
      expect(error.problems).toEqual(['JWT_SECRET is required']);
    });

    it('is required even when blank', () => {
      expect(configErrorOf({ JWT_SECRET: '   ' }).message).toContain('JWT_SECRET is required');
    });

    it.each([
      ['shorter than 32 characters', 'Xq7!pL2@vN9#kR4$wT6^yU1&'],
      ['31 characters', 'aB3$dE5^gH7*jK9(mN1)pQ2!sT4@vW6'],
    ])('refuses a secret %s, naming the variable but not the value', (_case, secret) => {
      const error = configErrorOf({ JWT_SECRET: secret });
      expect(error.message).toContain('JWT_SECRET must be at least 32 characters');
      expect(error.message).not.toContain(secret);
    });

    it.each([
      ['the .env.example placeholder', 'replace-with-at-least-32-random-characters'],
      ['"changeme" padded', `changeme${randomBytes(24).toString('hex')}`],
      ['"CHANGEME" in capitals', `CHANGEME-${randomBytes(24).toString('hex')}`],
      ['"secret" padded', `secret${randomBytes(24).toString('hex')}`],
      ['"secretsecret..."', 'secret'.repeat(8)],
      ['a single repeated character', 'a'.repeat(40)],
      ['a low-variety string', 'abcabcabcabcabcabcabcabcabcabcabcabc'],
      ['"your-secret-..."', `my-your-secret-${randomBytes(16).toString('hex')}`],
    ])('refuses %s, naming the variable but not the value', (_case, secret) => {
      const error = configErrorOf({ JWT_SECRET: secret });
      expect(error.problems).toEqual([expect.stringMatching(/^JWT_SECRET is a placeholder/)]);
      expect(error.message).not.toContain(secret);
    });

    it('accepts 48 random bytes in base64 and keeps the value', () => {
      expect(loadConfig({ JWT_SECRET: GOOD_SECRET }).jwt.secret).toBe(GOOD_SECRET);
    });
  });

  describe('refuses bad values, naming the variable', () => {
    it.each([
      ['PORT', 'http', /^PORT must be a whole number from 0 to 65535$/],
      ['PORT', '70000', /^PORT must be a whole number/],
      ['PORT', '-1', /^PORT must be a whole number/],
      ['PORT', '3000.5', /^PORT must be a whole number/],
      ['APP_ROLE', 'both', /^APP_ROLE must be one of all, api, worker$/],
      ['TRUST_PROXY', 'yes-please', /^TRUST_PROXY must be true, false or a hop count$/],
      ['TRUST_PROXY', '1000', /^TRUST_PROXY must be/],
      ['NODE_ENV', 'staging', /^NODE_ENV must be one of development, test, production$/],
      ['DATABASE_URL', 'mysql://db/ymera', /^DATABASE_URL must be a postgres or postgresql URL$/],
      ['REDIS_URL', 'not a url', /^REDIS_URL must be a URL$/],
      ['MIGRATIONS_RUN', 'sometimes', /^MIGRATIONS_RUN must be true or false$/],
      ['THROTTLE_AUTH_LIMIT', '0', /^THROTTLE_AUTH_LIMIT must be a whole number/],
      // The API promises a keep-alive line at least every 15 s.
      ['TASK_EVENTS_KEEPALIVE_MS', '20000', /^TASK_EVENTS_KEEPALIVE_MS must be a whole number/],
      ['TASK_EVENTS_MAX_BUFFER_BYTES', '10', /^TASK_EVENTS_MAX_BUFFER_BYTES must be a whole/],
    ])('%s=%s', (name, value, problem) => {
      const error = configErrorOf({ JWT_SECRET: GOOD_SECRET, [name]: value });
      expect(error.problems).toEqual([expect.stringMatching(problem)]);
    });

    it('lists every problem at once', () => {
      const error = configErrorOf({ PORT: 'x', APP_ROLE: 'y', TRUST_PROXY: 'z' });
      expect(error.problems.map((p) => p.split(' ')[0]).sort()).toEqual([
        'APP_ROLE',
        'JWT_SECRET',
        'PORT',
        'TRUST_PROXY',
      ]);
    });

    it('refuses a webhook lease no longer than the delivery timeout', () => {
      const error = configErrorOf({
        JWT_SECRET: GOOD_SECRET,
        WEBHOOK_TIMEOUT_MS: '5000',
        WEBHOOK_LEASE_MS: '5000',
      });
      expect(error.problems).toEqual(['WEBHOOK_LEASE_MS must be longer than WEBHOOK_TIMEOUT_MS']);
    });

    it('refuses one Bull Board credential without the other', () => {
      const error = configErrorOf({ JWT_SECRET: GOOD_SECRET, BULL_BOARD_USER: 'ops' });
      expect(error.problems).toEqual(['BULL_BOARD_PASSWORD must be set together with its pair']);
    });
  });

  describe('TRUST_PROXY', () => {
    it.each([
      [undefined, false],
      ['false', false],
      ['0', false],
      ['true', true],
      ['TRUE', true],
      ['2', 2],
    ])('%s -> %s', (value, expected) => {
      expect(loadConfig({ JWT_SECRET: GOOD_SECRET, TRUST_PROXY: value }).http.trustProxy).toBe(
        expected,
      );
    });
  });

  describe('in production', () => {
    it('requires DATABASE_URL and REDIS_URL', () => {
      const error = configErrorOf({ NODE_ENV: 'production', JWT_SECRET: GOOD_SECRET });
      expect([...error.problems].sort()).toEqual([
        'DATABASE_URL is required',
        'REDIS_URL is required',
      ]);
    });

    it('starts with them given', () => {
      const config = loadConfig({
        NODE_ENV: 'production',
        JWT_SECRET: GOOD_SECRET,
        DATABASE_URL: 'postgresql://ymera@db.internal:5432/ymera',
        REDIS_URL: 'rediss://cache.internal:6380/2',
      });
      expect(config.env).toBe('production');
      expect(config.database.url).toBe('postgresql://ymera@db.internal:5432/ymera');
      expect(config.redis.url).toBe('rediss://cache.internal:6380/2');
    });
  });

  it('defaults everything but the secret in development', () => {
    const config = loadConfig({ JWT_SECRET: GOOD_SECRET });
    expect(config).toMatchObject({
      env: 'development',
      role: 'all',
      logLevel: 'info',
      http: { host: '127.0.0.1', port: 3000, corsOrigins: [], trustProxy: false },
      database: {
        url: 'postgres://postgres@127.0.0.1:5432/ymera',
        poolMax: 20,
        migrationsRun: false,
      },
      redis: { url: 'redis://127.0.0.1:6379/0', keyPrefix: 'ymera' },
      jwt: { accessTtlS: 900 },
      throttle: { authLimit: 5, authTtlS: 60 },
      tasks: { backoffBaseMs: 1000, dispatchTimeoutMs: 30_000 },
      agents: { heartbeatTtlS: 60, endpointAllowlist: [] },
      webhooks: {
        maxAttempts: 8,
        backoffBaseMs: 1000,
        timeoutMs: 10_000,
        leaseMs: 60_000,
        sweepIntervalMs: 5000,
      },
      bullBoard: { user: undefined, password: undefined },
      taskEvents: { keepAliveMs: 15_000, maxBufferBytes: 1024 * 1024 },
    });
  });

  describe('MIGRATION_DATABASE_URL', () => {
    const SERVICE_URL = 'postgres://ymera_app:secret1@db.internal:5432/ymera';
    const OWNER_URL = 'postgres://ymera_owner:secret2@db.internal:5432/ymera';

    it('defaults to DATABASE_URL, with no service role to grant', () => {
      const { database } = loadConfig({ JWT_SECRET: GOOD_SECRET, DATABASE_URL: SERVICE_URL });
      expect(database).toMatchObject({
        url: SERVICE_URL,
        migrationUrl: SERVICE_URL,
        serviceUser: undefined,
      });
    });

    it('names the DATABASE_URL user as the service role when the users differ', () => {
      const { database } = loadConfig({
        JWT_SECRET: GOOD_SECRET,
        DATABASE_URL: SERVICE_URL,
        MIGRATION_DATABASE_URL: OWNER_URL,
      });
      expect(database).toMatchObject({
        url: SERVICE_URL,
        migrationUrl: OWNER_URL,
        serviceUser: 'ymera_app',
      });
    });

    it('has no service role when both URLs name the same user (other host or password)', () => {
      const { database } = loadConfig({
        JWT_SECRET: GOOD_SECRET,
        DATABASE_URL: 'postgres://ymera:a@pgbouncer:6432/ymera',
        MIGRATION_DATABASE_URL: 'postgres://ymera:a@db.internal:5432/ymera',
      });
      expect(database.serviceUser).toBeUndefined();
    });

    it('decodes a percent-encoded user name', () => {
      const { database } = loadConfig({
        JWT_SECRET: GOOD_SECRET,
        DATABASE_URL: 'postgres://ymera%2Dapp@db/ymera',
        MIGRATION_DATABASE_URL: OWNER_URL,
      });
      expect(database.serviceUser).toBe('ymera-app');
    });

    it('refuses a DATABASE_URL without a user when the migration URL names one', () => {
      const error = configErrorOf({
        JWT_SECRET: GOOD_SECRET,
        DATABASE_URL: 'postgres://db.internal/ymera',
        MIGRATION_DATABASE_URL: OWNER_URL,
      });
      expect(error.problems).toEqual([
        'DATABASE_URL must name its user when MIGRATION_DATABASE_URL names another',
      ]);
    });

    it('must be a postgres URL', () => {
      const error = configErrorOf({
        JWT_SECRET: GOOD_SECRET,
        MIGRATION_DATABASE_URL: 'mysql://db/ymera',
      });
      expect(error.problems).toEqual([
        'MIGRATION_DATABASE_URL must be a postgres or postgresql URL',
      ]);
    });
  });

  it('splits and trims CORS_ORIGINS', () => {
    const config = loadConfig({
      JWT_SECRET: GOOD_SECRET,
      CORS_ORIGINS: ' https://a.example , https://b.example,, ',
    });
    expect(config.http.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });
});

describe('the process', () => {
  it('exits non-zero at start on bad configuration, naming the variable and not the secret', async () => {
    const root = join(__dirname, '..', '..');
    const secret = 'replace-with-at-least-32-random-characters';
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>(
      (resolve, reject) => {
        const child = spawn(
          process.execPath,
          ['-r', 'ts-node/register/transpile-only', 'src/main.ts'],
          {
            cwd: root,
            env: { PATH: process.env.PATH, JWT_SECRET: secret, PORT: 'eighty' },
            stdio: ['ignore', 'ignore', 'pipe'],
          },
        );
        let output = '';
        child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        child.on('error', reject);
        child.on('close', (exitCode) => resolve({ code: exitCode, stderr: output }));
      },
    );
    expect(code).not.toBe(0);
    expect(stderr).toContain('JWT_SECRET is a placeholder');
    expect(stderr).toContain('PORT must be a whole number');
    expect(stderr).not.toContain(secret);
  }, 60_000);
});
