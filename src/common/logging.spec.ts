import pino from 'pino';
import { Writable } from 'node:stream';
import { QueryFailedError } from 'typeorm';
import { REDACTED_PATHS } from './logging';

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
