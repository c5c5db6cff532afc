import pino from 'pino';
import { Writable } from 'node:stream';
import { QueryFailedError } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { pinoOptions, REDACTED_PATHS } from './logging';

/** One line logged through pino with the app's redaction, parsed back. */
function logged(record: object): Record<string, unknown> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  pino({ redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink).error(record, 'x');
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

describe('log redaction', () => {
  it('keeps the SQL of a failed query but not its parameters', () => {
    const error = new QueryFailedError(
      'INSERT INTO users (username, password_hash) VALUES ($1, $2)',
      ['ada', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA'],
      Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }),
    );
    const line = JSON.stringify(logged({ err: error, requestId: 'r-1' }));
    expect(line).toContain('INSERT INTO users');
    expect(line).not.toContain('$argon2id$');
    expect(line).toContain('r-1');
  });

  it('hides passwords, tokens and credentials one level down', () => {
    const line = JSON.stringify(
      logged({
        body: { password: 'p4ssw0rd-p4ssw0rd', refreshToken: 'rt-123', accessToken: 'at-456' },
        req: { headers: { authorization: 'Bearer eyJ.x.y', cookie: 'sid=1' } },
        agent: { signingSecret: 'whsec-789' },
      }),
    );
    for (const secret of ['p4ssw0rd', 'rt-123', 'at-456', 'eyJ.x.y', 'sid=1', 'whsec-789']) {
      expect(line).not.toContain(secret);
    }
  });
});

describe('pinoOptions', () => {
  const configFor = (env: AppConfig['env']) => ({ env, logLevel: 'info' }) as AppConfig;

  function lines(options: ReturnType<typeof pinoOptions>, log: (logger: pino.Logger) => void) {
    const out: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out.push(chunk.toString());
        done();
      },
    });
    // A destination of our own: pino refuses one together with a transport (none outside development).
    log(pino(options, sink));
    return out;
  }

  it('writes readable lines in development and JSON lines otherwise', () => {
    expect(pinoOptions(configFor('development')).transport).toMatchObject({
      target: 'pino-pretty',
    });
    expect(pinoOptions(configFor('production')).transport).toBeUndefined();
    expect(pinoOptions(configFor('test')).transport).toBeUndefined();
  });

  it("drops Nest's per-module and per-route start-up lines, and keeps the rest", () => {
    const written = lines(pinoOptions(configFor('production')), (logger) => {
      logger.info({ context: 'RoutesResolver' }, 'AuditController {/api/audit-logs}:');
      logger.info({ context: 'RouterExplorer' }, 'Mapped {/api/tasks, POST} route');
      logger.info({ context: 'InstanceLoader' }, 'AppModule dependencies initialized');
      logger.info({ context: 'NestApplication' }, 'Nest application successfully started');
      logger.info('a line without context');
    });
    expect(written.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
      'Nest application successfully started',
      'a line without context',
    ]);
  });
});
