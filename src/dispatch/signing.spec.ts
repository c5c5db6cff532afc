import { createHmac } from 'node:crypto';
// The agent library's verifier (sdk/agent.ts): what Ymera signs here, agents written with it accept.
import { DispatchVerificationError, verifyDispatch } from '../../sdk/agent';
import { DispatchHeader, signBody, unixSeconds } from './signing';

describe('dispatch signing', () => {
  const secret = 'k3y-0f-the-agent_abcdefghijklmnop';
  const body = JSON.stringify({
    taskId: 't',
    attempt: 1,
    taskType: 'echo',
    name: 'Echo',
    parameters: {},
    priority: 'normal',
  });

  /** The agent library verifying a request signed `signature`, at the signing time. */
  function verify(timestamp: string, signature: string, signedBody = body) {
    return verifyDispatch({
      rawBody: signedBody,
      headers: {
        [DispatchHeader.Timestamp]: timestamp,
        [DispatchHeader.Signature]: signature,
      },
      signingSecret: secret,
      now: Number(timestamp) * 1000,
    });
  }

  it('is sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signBody(secret, '1700000000', body)).toBe(`sha256=${expected}`);
  });

  it('signs bytes and strings alike', () => {
    expect(signBody(secret, '1', Buffer.from(body))).toBe(signBody(secret, '1', body));
  });

  it('gives the worked example of docs/agent-protocol.md', () => {
    const example =
      '{"taskId":"0b9e6f2c-3d1a-4c5e-9f7a-2b8c1d0e4f63","attempt":1,"taskType":"summarize","name":"Summarise Q3 report","parameters":{"url":"https://example.com/q3.pdf"},"priority":"normal"}';
    const signature = signBody('6bWm0rJX1kE3Yh9sQv2Lp8TzNc4Ra7Ud5Gf0Io1Ke2', '1796160000', example);
    expect(signature).toBe(
      'sha256=245cd7da9192680ff9b23afa302abec626216f8d669afceeb2e5d8ea675bc9da',
    );
    const event = verifyDispatch({
      rawBody: example,
      headers: {
        [DispatchHeader.Timestamp]: '1796160000',
        [DispatchHeader.Signature]: signature,
      },
      signingSecret: '6bWm0rJX1kE3Yh9sQv2Lp8TzNc4Ra7Ud5Gf0Io1Ke2',
      now: 1_796_160_000_000,
    });
    expect(event).toMatchObject({ type: 'task.dispatch', body: { taskType: 'summarize' } });
  });

  it('is accepted by the agent library', () => {
    const timestamp = unixSeconds();
    expect(verify(timestamp, signBody(secret, timestamp, body))).toEqual({
      type: 'task.dispatch',
      timestamp: Number(timestamp),
      body: JSON.parse(body),
    });
  });

  it.each([
    ['another secret', 'other-secret', '1', body],
    ['another timestamp', secret, '2', body],
    ['another body', secret, '1', `${body} `],
  ])('is refused when made with %s', (_case, key, timestamp, signed) => {
    expect(() => verify('1', signBody(key, timestamp, signed))).toThrow(
      expect.objectContaining({ reason: 'bad-signature' }) as DispatchVerificationError,
    );
  });

  it('is refused truncated', () => {
    expect(() => verify('1', signBody(secret, '1', body).slice(0, -1))).toThrow(
      DispatchVerificationError,
    );
  });

  it('stamps Unix seconds', () => {
    expect(unixSeconds(1_700_000_000_999)).toBe('1700000000');
  });
});
