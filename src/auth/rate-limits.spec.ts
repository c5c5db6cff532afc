import { clientAddress } from './rate-limits';

describe('clientAddress', () => {
  it('counts an IPv4 client by its address', () => {
    expect(clientAddress('203.0.113.7')).toBe('ip:203.0.113.7');
  });

  it('counts an IPv4-mapped IPv6 address as the IPv4 address', () => {
    expect(clientAddress('::ffff:203.0.113.7')).toBe('ip:203.0.113.7');
  });

  it('counts every address of an IPv6 /64 as one client', () => {
    const a = clientAddress('2001:db8:1:2:aaaa:bbbb:cccc:dddd');
    expect(a).toBe('ip:2001:db8:1:2::/64');
    expect(clientAddress('2001:DB8:1:2::1')).toBe(a);
    expect(clientAddress('2001:db8:1:3::1')).not.toBe(a);
  });

  it('counts requests without an address together rather than not at all', () => {
    expect(clientAddress(undefined)).toBe('ip:unknown');
  });
});
