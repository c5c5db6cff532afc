import type { Request } from 'express';
import { clientIp, isIpAddress } from './client-ip';

function requestFrom(ip: string | undefined, socketAddress = '127.0.0.1'): Request {
  return { ip, socket: { remoteAddress: socketAddress } } as unknown as Request;
}

describe('clientIp', () => {
  it('believes an IPv4 or IPv6 address taken from X-Forwarded-For', () => {
    expect(clientIp(requestFrom('203.0.113.7'))).toBe('203.0.113.7');
    expect(clientIp(requestFrom('2001:db8::1'))).toBe('2001:db8::1');
  });

  it.each([
    ['a hostname', 'evil.example'],
    ['a script', '<script>alert(1)</script>'],
    ['a long value', '1'.repeat(10_000)],
    ['an address with a port', '203.0.113.7:443'],
    ['an address with a zone id', `fe80::1%${'x'.repeat(60)}`],
    ['an empty value', ''],
  ])('falls back to the socket address for %s', (_name, forwarded) => {
    expect(clientIp(requestFrom(forwarded, '198.51.100.9'))).toBe('198.51.100.9');
  });

  it('answers null when neither is known', () => {
    expect(clientIp({ ip: undefined, socket: {} } as unknown as Request)).toBeNull();
  });
});

describe('isIpAddress', () => {
  it('accepts only addresses that fit the audit column', () => {
    expect(isIpAddress('::ffff:203.0.113.7')).toBe(true);
    expect(isIpAddress('ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255')).toBe(true);
    expect(isIpAddress(42)).toBe(false);
  });
});
