import { createHmac } from 'node:crypto';
// Verified as an agent verifies it, with the test agent's own code (test/support).
import { verifySignature } from '../../test/support/agent-signature';
import { signBody, unixSeconds } from './signing';

describe('dispatch signing', () => {
  const secret = 'k3y-0f-the-agent_abcdefghijklmnop';
  const body = '{"taskId":"t","attempt":1}';

  it('is sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signBody(secret, '1700000000', body)).toBe(`sha256=${expected}`);
  });

  it('signs bytes and strings alike', () => {
    expect(signBody(secret, '1', Buffer.from(body))).toBe(signBody(secret, '1', body));
  });

  it('is accepted by an agent verifying it independently', () => {
    expect(verifySignature(secret, '1', body, signBody(secret, '1', body))).toBe(true);
  });

  it.each([
    ['another secret', 'other-secret', '1', body],
    ['another timestamp', secret, '2', body],
    ['another body', secret, '1', `${body} `],
  ])('refuses a signature made with %s', (_case, key, timestamp, signed) => {
    expect(verifySignature(secret, '1', body, signBody(key, timestamp, signed))).toBe(false);
  });

  it('refuses a missing or truncated signature', () => {
    expect(verifySignature(secret, '1', body, undefined)).toBe(false);
    expect(verifySignature(secret, '1', body, signBody(secret, '1', body).slice(0, -1))).toBe(
      false,
    );
  });

  it('stamps Unix seconds', () => {
    expect(unixSeconds(1_700_000_000_999)).toBe('1700000000');
  });
});
