import { EndpointAllowlist } from './endpoint-allowlist';

describe('EndpointAllowlist', () => {
  it.each([
    'not a host!',
    '10.0.0.0/33',
    '10.0.0.0/x',
    '::/129',
    'example.com/8',
    'http://x',
    '1.2.3.4/8/9',
    'agents.internal:0',
    'agents.internal:65536',
    'agents.internal:http',
    '10.0.0.5:',
  ])('refuses the entry %j, naming the variable', (entry) => {
    expect(() => new EndpointAllowlist([entry])).toThrow(/AGENT_ENDPOINT_ALLOWLIST/);
  });

  it('accepts host names, wildcards, IPs, bracketed IPv6 and CIDRs', () => {
    const list = new EndpointAllowlist([
      'Agents.Internal.',
      '*.corp.example',
      '192.168.1.10',
      '[::1]',
      '172.16.0.0/12',
      'fd00::/8',
    ]);
    expect(list.allowsHost('agents.internal', 8080)).toBe(true);
    expect(list.allowsHost('x.y.corp.example', 8080)).toBe(true);
    expect(list.allowsHost('internal', 8080)).toBe(false);
    expect(list.allowsAddress('192.168.1.10', 8080)).toBe(true);
    expect(list.allowsAddress('::ffff:192.168.1.10', 8080)).toBe(true);
    expect(list.allowsAddress('192.168.1.11', 8080)).toBe(false);
    expect(list.allowsAddress('::1', 8080)).toBe(true);
    expect(list.allowsAddress('172.20.1.1', 8080)).toBe(true);
    expect(list.allowsAddress('fdff::1', 8080)).toBe(true);
    expect(list.allowsAddress('fe80::1', 8080)).toBe(false);
  });

  it('admits only the named port of an entry with one', () => {
    const list = new EndpointAllowlist([
      'agents.internal:8443',
      '*.corp.example:9000',
      '10.0.0.5:8080',
      '[::1]:3001',
      '[fd00::]/8:7000',
      '127.0.0.1',
    ]);
    expect(list.allowsHost('agents.internal', 8443)).toBe(true);
    expect(list.allowsHost('agents.internal', 22)).toBe(false);
    expect(list.allowsHost('a.corp.example', 9000)).toBe(true);
    expect(list.allowsHost('a.corp.example', 9001)).toBe(false);
    expect(list.allowsAddress('10.0.0.5', 8080)).toBe(true);
    expect(list.allowsAddress('10.0.0.5', 5432)).toBe(false);
    expect(list.allowsAddress('::1', 3001)).toBe(true);
    expect(list.allowsAddress('::1', 3002)).toBe(false);
    expect(list.allowsAddress('fd12::1', 7000)).toBe(true);
    expect(list.allowsAddress('fd12::1', 7001)).toBe(false);
    // Without a port, every port of the host (the entry the operator chose).
    expect(list.allowsAddress('127.0.0.1', 6379)).toBe(true);
  });
});
