import type { NextFunction, Request, Response } from 'express';
import { basicAuth, parseBasicAuthorization } from './basic-auth.middleware';
import { FailureLimiter } from './failure-limiter';

const header = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

interface Answer {
  status?: number;
  headers: Record<string, string>;
  body?: string;
  passed: boolean;
}

/** A FailureLimiter in memory: the real one (Redis) is exercised by the e2e tests. */
class CountingLimiter implements FailureLimiter {
  readonly failures = new Map<string, number>();
  constructor(private readonly limit = 5) {}

  blockedFor(client: string): Promise<number> {
    return Promise.resolve((this.failures.get(client) ?? 0) >= this.limit ? 60 : 0);
  }

  failed(client: string): Promise<void> {
    this.failures.set(client, (this.failures.get(client) ?? 0) + 1);
    return Promise.resolve();
  }
}

const CREDENTIALS = { user: 'ops', password: 's3cret:with colon' };

function run(
  authorization: string | undefined,
  limiter: FailureLimiter = new CountingLimiter(),
): Promise<Answer> {
  const middleware = basicAuth(CREDENTIALS, 'Ymera queues', limiter);
  const answer: Answer = { headers: {}, passed: false };
  return new Promise((resolve) => {
    const response = {
      headersSent: false,
      setHeader: (name: string, value: string) => (answer.headers[name] = value),
      status(code: number) {
        answer.status = code;
        return this;
      },
      type(value: string) {
        answer.headers['Content-Type'] = value;
        return this;
      },
      send(body: string) {
        answer.body = body;
        resolve(answer);
        return this;
      },
    } as unknown as Response;
    const request = {
      headers: authorization === undefined ? {} : { authorization },
      originalUrl: '/admin/queues',
      ip: '203.0.113.7',
      socket: { remoteAddress: '127.0.0.1' },
    } as unknown as Request;
    const next: NextFunction = () => {
      answer.passed = true;
      resolve(answer);
    };
    middleware(request, response, next);
  });
}

describe('parseBasicAuthorization', () => {
  it('splits user and password at the first colon', () => {
    expect(parseBasicAuthorization(header('ops:a:b'))).toEqual({ user: 'ops', password: 'a:b' });
    expect(parseBasicAuthorization(`basic ${Buffer.from('u:').toString('base64')}`)).toEqual({
      user: 'u',
      password: '',
    });
  });

  it('refuses other schemes and malformed values', () => {
    expect(parseBasicAuthorization(undefined)).toBeUndefined();
    expect(parseBasicAuthorization('Bearer abc')).toBeUndefined();
    expect(parseBasicAuthorization('Basic !!!')).toBeUndefined();
    expect(parseBasicAuthorization(header('no-colon'))).toBeUndefined();
  });
});

describe('basicAuth', () => {
  it('lets the right credentials through', async () => {
    expect(await run(header('ops:s3cret:with colon'))).toMatchObject({ passed: true, headers: {} });
  });

  it.each([
    ['no header', undefined],
    ['a wrong password', header('ops:s3cret')],
    ['a wrong user', header('opz:s3cret:with colon')],
    ['a longer password', header('ops:s3cret:with colon!')],
    ['a bearer token', 'Bearer s3cret'],
  ])('answers 401 problem details with a challenge for %s', async (_, authorization) => {
    const answer = await run(authorization);
    expect(answer.passed).toBe(false);
    expect(answer.status).toBe(401);
    expect(answer.headers['WWW-Authenticate']).toBe('Basic realm="Ymera queues"');
    expect(answer.headers['Content-Type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body!)).toMatchObject({ status: 401, instance: '/admin/queues' });
  });

  it('counts wrong credentials per client address, not a request without any', async () => {
    const limiter = new CountingLimiter();
    await run(undefined, limiter);
    await run(header('ops:wrong'), limiter);
    await run('Bearer s3cret', limiter);
    expect([...limiter.failures]).toEqual([['203.0.113.7', 2]]);
  });

  it('answers 429 with Retry-After past the limit, even to the right credentials', async () => {
    const limiter = new CountingLimiter(2);
    expect((await run(header('ops:wrong'), limiter)).status).toBe(401);
    expect((await run(header('ops:wrong'), limiter)).status).toBe(401);
    const limited = await run(header('ops:s3cret:with colon'), limiter);
    expect(limited).toMatchObject({ passed: false, status: 429 });
    expect(limited.headers['Retry-After']).toBe('60');
    expect(JSON.parse(limited.body!)).toMatchObject({ status: 429 });
  });

  it('closes the board with 503 and Retry-After while failures cannot be counted', async () => {
    const blind: FailureLimiter = {
      blockedFor: () => Promise.reject(new Error('Connection is closed.')),
      failed: () => Promise.reject(new Error('Connection is closed.')),
    };
    const answer = await run(header('ops:s3cret:with colon'), blind);
    expect(answer).toMatchObject({ passed: false, status: 503 });
    expect(answer.headers['Retry-After']).toBe('5');
    expect(answer.body).not.toContain('Connection is closed');
  });
});
