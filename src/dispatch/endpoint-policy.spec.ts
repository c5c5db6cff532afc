import { LookupAddress } from 'node:dns';
import { AppConfig } from '../config/app-config';
import { EndpointRefusal, EndpointRefusedError } from './dispatch.errors';
import { EndpointPolicy, HostResolver, pinnedLookup, ResolvedAddress } from './endpoint-policy';

function configWith(allowlist: string[]): AppConfig {
  return { agents: { endpointAllowlist: allowlist } } as unknown as AppConfig;
}

/** A DNS stand-in: names map to their addresses; anything else does not exist. */
function fakeDns(records: Record<string, string[]>): jest.MockedFunction<HostResolver['lookup']> {
  return jest.fn((hostname: string) => {
    const addresses = records[hostname];
    if (!addresses)
      return Promise.reject(Object.assign(new Error('ENOTFOUND'), { code: 'ENOTFOUND' }));
    return Promise.resolve(
      addresses.map((address): ResolvedAddress => ({
        address,
        family: address.includes(':') ? 6 : 4,
      })),
    );
  });
}

const DNS = {
  'agents.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  localhost: ['127.0.0.1', '::1'],
  'agents.internal': ['10.0.0.7'],
  'other.internal': ['10.0.0.7'],
  'a.corp.example': ['10.20.0.1'],
  'corp.example': ['10.20.0.2'],
  'evilcorp.example': ['10.20.0.3'],
  'rebind.example.com': ['93.184.215.14', '127.0.0.1'],
  'metadata-alias.example.com': ['169.254.169.254'],
  'v6-metadata.example.com': ['fd00:ec2::254'],
  'empty.example.com': [],
};

function policy(allowlist: string[] = [], resolver = fakeDns(DNS)) {
  return { policy: new EndpointPolicy(configWith(allowlist), { lookup: resolver }), resolver };
}

async function refusal(promise: Promise<unknown>): Promise<EndpointRefusedError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the endpoint to be refused');
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(EndpointRefusedError);
  return error as EndpointRefusedError;
}

async function expectRefused(
  p: EndpointPolicy,
  url: string,
  reason: EndpointRefusal,
): Promise<EndpointRefusedError> {
  const error = await refusal(p.assertAllowed(url));
  expect(error.reason).toBe(reason);
  return error;
}

describe('EndpointPolicy', () => {
  describe('URL shape', () => {
    it.each([
      'file:///etc/passwd',
      'ftp://agents.example.com/x',
      'gopher://agents.example.com:70/_x',
      'javascript:alert(1)',
      'data:text/plain,hi',
      'ws://agents.example.com/',
    ])('refuses the non-http scheme of %s', async (url) => {
      const { policy: p, resolver } = policy(['localhost']);
      const error = await expectRefused(p, url, 'scheme');
      expect(error.message).toBe('endpointUrl must be an http or https URL.');
      expect(resolver).not.toHaveBeenCalled();
    });

    it.each(['', 'not a url', 'http://', '//agents.example.com/run'])(
      'refuses %j as not a URL',
      async (url) => {
        await expectRefused(policy().policy, url, 'invalid_url');
      },
    );

    it.each([
      'http://user:pass@agents.example.com/',
      'https://user@agents.example.com/',
      'http://:pw@agents.example.com/',
    ])('refuses credentials in %s', async (url) => {
      await expectRefused(policy().policy, url, 'credentials');
    });
  });

  describe('addresses that are never allowed, whatever the allow-list', () => {
    const everything = ['0.0.0.0/0', '::/0', 'metadata.google.internal', '169.254.169.254'];

    it.each([
      'http://169.254.169.254/latest/meta-data/',
      'http://169.254.1.1/',
      'http://100.100.100.200/',
      'http://[fd00:ec2::254]/',
      'http://[fe80::1]/',
      'http://[febf::1]/',
      'http://[::ffff:169.254.169.254]/',
      'http://[::ffff:a9fe:a9fe]/',
      'http://[64:ff9b::a9fe:a9fe]/',
      'http://2852039166/',
      'http://0xa9.0xfe.0xa9.0xfe/',
      'http://0251.0376.0251.0376/',
    ])('refuses %s', async (url) => {
      await expectRefused(policy(everything).policy, url, 'forbidden_address');
    });

    it.each([
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://METADATA.GOOGLE.INTERNAL./',
      'http://metadata.goog/',
    ])('refuses the metadata host name %s without resolving it', async (url) => {
      const { policy: p, resolver } = policy(everything);
      await expectRefused(p, url, 'forbidden_address');
      expect(resolver).not.toHaveBeenCalled();
    });

    it('refuses a name that resolves to a metadata address, even when the name is allow-listed', async () => {
      const { policy: p } = policy(['metadata-alias.example.com', 'v6-metadata.example.com']);
      await expectRefused(p, 'http://metadata-alias.example.com/', 'forbidden_address');
      await expectRefused(p, 'http://v6-metadata.example.com/', 'forbidden_address');
    });
  });

  describe('public addresses', () => {
    it('allows a public IPv4 literal without DNS and returns it to pin the connection', async () => {
      const { policy: p, resolver } = policy();
      const endpoint = await p.assertAllowed('https://8.8.8.8:8443/run?x=1');
      expect(endpoint).toMatchObject({ address: '8.8.8.8', family: 4 });
      expect(endpoint.url.href).toBe('https://8.8.8.8:8443/run?x=1');
      expect(resolver).not.toHaveBeenCalled();
    });

    it('allows a public IPv6 literal', async () => {
      const endpoint = await policy().policy.assertAllowed('http://[2606:4700::1111]/');
      expect(endpoint).toMatchObject({ address: '2606:4700::1111', family: 6 });
    });

    it('allows a name whose every address is public, returning the first', async () => {
      const { policy: p, resolver } = policy();
      const endpoint = await p.assertAllowed('https://Agents.Example.com/run');
      expect(resolver).toHaveBeenCalledWith('agents.example.com');
      expect(endpoint).toMatchObject({ address: '93.184.215.14', family: 4 });
      expect(endpoint.url.hostname).toBe('agents.example.com');
    });

    it('refuses a name when any of its addresses is not public (DNS rebinding)', async () => {
      await expectRefused(policy().policy, 'http://rebind.example.com/', 'not_allowlisted');
    });
  });

  describe('non-public addresses', () => {
    it.each([
      'http://10.0.0.5/',
      'http://172.16.0.1/',
      'http://172.31.255.255/',
      'http://192.168.1.1/',
      'http://127.0.0.1:3000/',
      'http://127.1/',
      'http://100.64.0.1/',
      'http://0.0.0.0/',
      'http://198.18.0.1/',
      'http://[::1]/',
      'http://[::]/',
      'http://[fd12:3456::1]/',
      'http://[fc00::1]/',
      'http://[::ffff:10.0.0.1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[2001:db8::1]/',
      'http://224.0.0.1/',
      'http://localhost:8080/',
    ])('refuses %s when the allow-list is empty', async (url) => {
      const error = await expectRefused(policy().policy, url, 'not_allowlisted');
      expect(error.message).toContain('allow-list');
    });

    it('allows an allow-listed IP, and only that IP', async () => {
      const { policy: p } = policy(['127.0.0.1']);
      await expect(p.assertAllowed('http://127.0.0.1:9000/')).resolves.toMatchObject({
        address: '127.0.0.1',
      });
      await expect(p.assertAllowed('http://[::ffff:127.0.0.1]/')).resolves.toMatchObject({
        family: 6,
      });
      await expectRefused(p, 'http://127.0.0.2/', 'not_allowlisted');
    });

    it('allows addresses inside an allow-listed CIDR', async () => {
      const { policy: p } = policy(['10.0.0.0/8', 'fd00::/8']);
      await expect(p.assertAllowed('http://10.1.2.3/')).resolves.toMatchObject({
        address: '10.1.2.3',
      });
      await expect(p.assertAllowed('http://[fd12::1]/')).resolves.toMatchObject({ family: 6 });
      await expect(p.assertAllowed('http://other.internal/')).resolves.toMatchObject({
        address: '10.0.0.7',
      });
      await expectRefused(p, 'http://192.168.1.1/', 'not_allowlisted');
    });

    it('allows an allow-listed host name whatever it resolves to, except forbidden addresses', async () => {
      const { policy: p } = policy(['agents.internal', 'localhost']);
      await expect(p.assertAllowed('http://agents.internal:8080/')).resolves.toMatchObject({
        address: '10.0.0.7',
      });
      await expect(p.assertAllowed('http://LOCALHOST./')).resolves.toMatchObject({
        address: '127.0.0.1',
      });
      await expectRefused(p, 'http://other.internal/', 'not_allowlisted');
      await expectRefused(p, 'http://10.0.0.7/', 'not_allowlisted');
    });

    it('matches "*.suffix" entries on subdomains only', async () => {
      const { policy: p } = policy(['*.corp.example']);
      await expect(p.assertAllowed('http://a.corp.example/')).resolves.toMatchObject({
        address: '10.20.0.1',
      });
      await expectRefused(p, 'http://corp.example/', 'not_allowlisted');
      await expectRefused(p, 'http://evilcorp.example/', 'not_allowlisted');
    });
  });

  describe('resolution', () => {
    it('refuses a name that does not resolve', async () => {
      const error = await expectRefused(
        policy().policy,
        'http://nowhere.example.com/',
        'unresolvable',
      );
      expect(error.message).toBe('endpointUrl host name could not be resolved.');
    });

    it('refuses a name with no addresses', async () => {
      await expectRefused(policy().policy, 'http://empty.example.com/', 'unresolvable');
    });

    it('gives up on a lookup that never answers', async () => {
      jest.useFakeTimers();
      try {
        const hanging: HostResolver = {
          lookup: () => new Promise<ResolvedAddress[]>(() => undefined),
        };
        const pending = refusal(
          new EndpointPolicy(configWith([]), hanging).assertAllowed('http://slow.example/'),
        );
        await jest.advanceTimersByTimeAsync(5000);
        expect((await pending).reason).toBe('unresolvable');
      } finally {
        jest.useRealTimers();
      }
    });
  });
});

describe('EndpointPolicy with ports in the allow-list', () => {
  it('admits only the named port of a private host, the scheme default when the URL has none', async () => {
    const { policy: p } = policy(['127.0.0.1:3001', 'agents.internal:443']);
    await expect(p.assertAllowed('http://127.0.0.1:3001/run')).resolves.toMatchObject({
      address: '127.0.0.1',
    });
    await expectRefused(p, 'http://127.0.0.1:6379/', 'not_allowlisted');
    await expectRefused(p, 'http://127.0.0.1/', 'not_allowlisted');
    await expect(p.assertAllowed('https://agents.internal/run')).resolves.toMatchObject({
      address: '10.0.0.7',
    });
    await expectRefused(p, 'http://agents.internal/run', 'not_allowlisted');
  });
});

describe('pinnedLookup', () => {
  const endpoint = {
    url: new URL('https://agents.example.com/'),
    address: '93.184.215.14',
    family: 4 as const,
  };

  it('answers a single lookup with the checked address', () => {
    const callback = jest.fn();
    pinnedLookup(endpoint)('agents.example.com', {}, callback);
    expect(callback).toHaveBeenCalledWith(null, '93.184.215.14', 4);
  });

  it('answers an all-addresses lookup with only the checked address', () => {
    const callback = jest.fn();
    pinnedLookup(endpoint)('agents.example.com', { all: true }, callback);
    const expected: LookupAddress[] = [{ address: '93.184.215.14', family: 4 }];
    expect(callback).toHaveBeenCalledWith(null, expected);
  });
});
