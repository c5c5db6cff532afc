import { AgentReply, classifyReply, isRetryableStatus } from './classify';

function response(status: number, body: string | Buffer = '', oversized = false): AgentReply {
  return {
    kind: 'response',
    status,
    body: typeof body === 'string' ? Buffer.from(body) : body,
    oversized,
  };
}

describe('classifyReply', () => {
  it('completes on a 2xx JSON object with "result"', () => {
    expect(classifyReply(response(200, '{"result":{"summary":"ok"}}'))).toEqual({
      outcome: 'succeeded',
      httpStatus: 200,
      result: { summary: 'ok' },
    });
    expect(classifyReply(response(201, '{"result":null,"extra":1}'))).toEqual({
      outcome: 'succeeded',
      httpStatus: 201,
      result: null,
    });
  });

  it.each([408, 429, 500, 502, 503, 504, 599])('retries HTTP %i', (status) => {
    expect(classifyReply(response(status))).toMatchObject({
      outcome: 'retryable_error',
      httpStatus: status,
      error: `the agent answered HTTP ${status}`,
    });
  });

  it.each([400, 401, 403, 404, 409, 410, 413, 422])('fails at once on HTTP %i', (status) => {
    expect(classifyReply(response(status))).toMatchObject({
      outcome: 'permanent_error',
      httpStatus: status,
    });
  });

  it('fails at once on a redirect, which is never followed', () => {
    expect(classifyReply(response(302))).toMatchObject({
      outcome: 'permanent_error',
      httpStatus: 302,
      error: expect.stringContaining('redirects are not followed'),
    });
  });

  it.each([
    ['not JSON', 'hello', 'is not JSON'],
    ['empty', '', 'is not JSON'],
    ['a JSON array', '[1]', 'not a JSON object'],
    ['a JSON string', '"done"', 'not a JSON object'],
    ['an object without result', '{"output":1}', 'has no "result"'],
  ])('fails at once on a 2xx reply that is %s', (_case, body, message) => {
    expect(classifyReply(response(200, body))).toMatchObject({
      outcome: 'permanent_error',
      httpStatus: 200,
      error: expect.stringContaining(message),
    });
  });

  it('fails at once on an oversized 2xx reply', () => {
    expect(classifyReply(response(200, '', true))).toMatchObject({
      outcome: 'permanent_error',
      error: expect.stringContaining('larger than 1048576 bytes'),
    });
  });

  it('retries timeouts, connection errors and aborted dispatches', () => {
    expect(classifyReply({ kind: 'timeout', timeoutMs: 250 })).toEqual({
      outcome: 'retryable_error',
      httpStatus: null,
      error: 'the agent did not answer within 250 ms',
    });
    expect(
      classifyReply({ kind: 'network', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }),
    ).toEqual({ outcome: 'retryable_error', httpStatus: null, error: 'could not reach the agent' });
    expect(classifyReply({ kind: 'aborted', reason: 'shutting down' })).toMatchObject({
      outcome: 'retryable_error',
      error: 'shutting down',
    });
  });

  it('knows which statuses are worth retrying', () => {
    expect([408, 429, 500, 503].every(isRetryableStatus)).toBe(true);
    expect([400, 404, 409, 499, 302].some(isRetryableStatus)).toBe(false);
  });
});
