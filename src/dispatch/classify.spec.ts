import { agentMessage, AgentReply, classifyReply, isRetryableStatus } from './classify';

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

  it("keeps the agent's own message after the status", () => {
    expect(
      classifyReply(
        response(
          422,
          '{"type":"about:blank","title":"Unprocessable","detail":"parameters.url is not a PDF"}',
        ),
      ),
    ).toEqual({
      outcome: 'permanent_error',
      httpStatus: 422,
      error: 'the agent answered HTTP 422: parameters.url is not a PDF',
    });
    expect(classifyReply(response(503, 'overloaded, try in a minute\n'))).toEqual({
      outcome: 'retryable_error',
      httpStatus: 503,
      error: 'the agent answered HTTP 503: overloaded, try in a minute',
    });
  });

  it.each([
    ['detail first', { detail: 'd', error: 'e', message: 'm' }, 'd'],
    ['then error', { error: 'e', message: 'm' }, 'e'],
    ['then error.message', { error: { message: 'nested', code: 7 }, message: 'm' }, 'nested'],
    ['then message', { error: { code: 7 }, message: 'm' }, 'm'],
    ['skipping empty and non-string fields', { detail: ' ', error: 42, message: 'm' }, 'm'],
  ])('reads a JSON reply: %s', (_case, body, said) => {
    expect(agentMessage(Buffer.from(JSON.stringify(body)))).toBe(said);
  });

  it('falls back to the start of the body when no field says anything', () => {
    expect(agentMessage(Buffer.from('{"code":7}'))).toBe('{"code":7}');
    expect(agentMessage(Buffer.from('<html><body>Bad gateway</body></html>'))).toBe(
      '<html><body>Bad gateway</body></html>',
    );
    expect(agentMessage(Buffer.alloc(0))).toBe('');
    expect(classifyReply(response(404, ''))).toMatchObject({
      error: 'the agent answered HTTP 404',
    });
  });

  it('strips control characters and keeps at most 1,000 characters', () => {
    expect(
      agentMessage(Buffer.from('{"error":"bad\\u0000 input\\r\\n\\u001b[31mred\\u202e"}')),
    ).toBe('bad input red');
    const long = agentMessage(Buffer.from(`${'é'.repeat(5000)}`));
    expect(Array.from(long)).toHaveLength(1000);
    expect(long.endsWith('…')).toBe(true);
    // Cut between characters, never inside one (a surrogate pair here).
    expect(Array.from(agentMessage(Buffer.from('😀'.repeat(2000))))).toHaveLength(1000);
    expect(agentMessage(Buffer.from('😀'.repeat(2000)))).not.toMatch(
      /[\uD800-\uDFFF](?![\uDC00-\uDFFF])/u,
    );
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

  it('retries timeouts and connection errors; an aborted dispatch was interrupted', () => {
    expect(classifyReply({ kind: 'timeout', timeoutMs: 250 })).toEqual({
      outcome: 'retryable_error',
      httpStatus: null,
      error: 'the agent did not answer within 250 ms',
    });
    expect(
      classifyReply({ kind: 'network', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' }),
    ).toEqual({ outcome: 'retryable_error', httpStatus: null, error: 'could not reach the agent' });
    expect(classifyReply({ kind: 'aborted', reason: 'shutting down' })).toEqual({
      outcome: 'interrupted',
      httpStatus: null,
      error: 'shutting down',
    });
  });

  it('reads 202 as accepted work, whatever its body says', () => {
    const reply = { kind: 'response' as const, status: 202, oversized: false };
    expect(classifyReply({ ...reply, body: Buffer.from('') })).toEqual({
      outcome: 'accepted',
      httpStatus: 202,
    });
    expect(classifyReply({ ...reply, body: Buffer.from('{"result":1}') })).toEqual({
      outcome: 'accepted',
      httpStatus: 202,
    });
  });

  it('knows which statuses are worth retrying', () => {
    expect([408, 429, 500, 503].every(isRetryableStatus)).toBe(true);
    expect([400, 404, 409, 499, 302].some(isRetryableStatus)).toBe(false);
  });
});
