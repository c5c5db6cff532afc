import type { NextFunction, Request, Response } from 'express';
import { basicAuth, parseBasicAuthorization } from './basic-auth.middleware';

const header = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

interface Answer {
  status?: number;
  headers: Record<string, string>;
  body?: string;
  passed: boolean;
}

function run(authorization: string | undefined): Answer {
  const middleware = basicAuth({ user: 'ops', password: 's3cret:with colon' }, 'Ymera queues');
  const answer: Answer = { headers: {}, passed: false };
  const response = {
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
      return this;
    },
  } as unknown as Response;
  const request = {
    headers: authorization === undefined ? {} : { authorization },
    originalUrl: '/admin/queues',
  } as unknown as Request;
  const next: NextFunction = () => (answer.passed = true);
  middleware(request, response, next);
  return answer;
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
  it('lets the right credentials through', () => {
    expect(run(header('ops:s3cret:with colon'))).toMatchObject({ passed: true, headers: {} });
  });

  it.each([
    ['no header', undefined],
    ['a wrong password', header('ops:s3cret')],
    ['a wrong user', header('opz:s3cret:with colon')],
    ['a longer password', header('ops:s3cret:with colon!')],
    ['a bearer token', 'Bearer s3cret'],
  ])('answers 401 problem details with a challenge for %s', (_, authorization) => {
    const answer = run(authorization);
    expect(answer.passed).toBe(false);
    expect(answer.status).toBe(401);
    expect(answer.headers['WWW-Authenticate']).toBe('Basic realm="Ymera queues"');
    expect(answer.headers['Content-Type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body!)).toMatchObject({ status: 401, instance: '/admin/queues' });
  });
});
