import { BadRequestException, Inject, Injectable, Optional } from '@nestjs/common';
import { promises as dns } from 'node:dns';
import { BlockList, isIP, LookupFunction } from 'node:net';
import { AppConfig } from '../config/app-config';

/** An endpoint that passed the policy, with the address it was checked against. */
export interface ResolvedEndpoint {
  url: URL;
  /** Connect to this address (see pinnedLookup), never to a fresh resolution of url.hostname. */
  address: string;
  family: 4 | 6;
}

export type EndpointRefusal =
  | 'invalid_url'
  | 'scheme'
  | 'credentials'
  | 'unresolvable'
  | 'forbidden_address'
  | 'not_allowlisted';

/**
 * A 400 for the API; for the dispatcher, `reason` tells a refusal that can never change
 * ('forbidden_address', 'not_allowlisted', ...) from a name that did not resolve this time.
 */
export class EndpointNotAllowedException extends BadRequestException {
  constructor(
    readonly reason: EndpointRefusal,
    message: string,
  ) {
    super(message);
  }
}

export interface ResolvedAddress {
  address: string;
  family: number;
}
/** Resolves a host name to every address it has (A and AAAA). Replaceable in unit tests. */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;
export const HOST_RESOLVER = Symbol('HOST_RESOLVER');

const DNS_TIMEOUT_MS = 5000;

const systemResolver: HostResolver = (hostname) =>
  dns.lookup(hostname, { all: true, verbatim: true });

/** Cloud metadata services reachable by name; their addresses are refused below as well. */
const METADATA_HOSTNAMES = new Set(['metadata.google.internal', 'metadata.goog']);

function blockList(v4: string[], v6: string[]): BlockList {
  const list = new BlockList();
  for (const [entries, type] of [
    [v4, 'ipv4'],
    [v6, 'ipv6'],
  ] as const) {
    for (const entry of entries) {
      const [network, prefix] = entry.split('/');
      list.addSubnet(network, Number(prefix), type);
    }
  }
  return list;
}

/** Never a target, whatever the allow-list says: link-local and cloud metadata services. */
const ALWAYS_REFUSED = blockList(
  ['169.254.0.0/16', '100.100.100.200/32'],
  ['fe80::/10', 'fd00:ec2::254/128'],
);

/** IPv4 special-purpose ranges (IANA registry) that are not globally routable. */
const NON_PUBLIC_V4 = blockList(
  [
    '0.0.0.0/8',
    '10.0.0.0/8',
    '100.64.0.0/10',
    '127.0.0.0/8',
    '172.16.0.0/12',
    '192.0.0.0/24',
    '192.0.2.0/24',
    '192.88.99.0/24',
    '192.168.0.0/16',
    '198.18.0.0/15',
    '198.51.100.0/24',
    '203.0.113.0/24',
    '224.0.0.0/4',
    '240.0.0.0/4',
  ],
  [],
);

/** Global unicast IPv6 is 2000::/3, less its documentation and protocol-assignment blocks. */
const GLOBAL_V6 = blockList([], ['2000::/3']);
const NON_PUBLIC_V6 = blockList([], ['2001::/23', '2001:db8::/32', '3fff::/20']);

/** IPv6 forms that carry an IPv4 address, and where it sits (byte offset). */
const EMBEDDING_V4: { list: BlockList; offset: number; sameAsV4: boolean }[] = [
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) reach the IPv4 address itself.
  { list: blockList([], ['::ffff:0:0/96']), offset: 12, sameAsV4: true },
  { list: blockList([], ['64:ff9b::/96']), offset: 12, sameAsV4: true },
  // IPv4-compatible, IPv4-translated and 6to4 are not ordinary unicast: never public on their own.
  { list: blockList([], ['::/96']), offset: 12, sameAsV4: false },
  { list: blockList([], ['::ffff:0:0:0/96']), offset: 12, sameAsV4: false },
  { list: blockList([], ['2002::/16']), offset: 2, sameAsV4: false },
];

export type AddressClass = 'forbidden' | 'non_public' | 'public';

/** The 16 bytes of an IPv6 address already known to be valid (zone id allowed, ignored). */
function ipv6Bytes(text: string): number[] {
  let address = text.split('%')[0];
  const tail: number[] = [];
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (dotted) {
    tail.push(...dotted.slice(1).map(Number));
    address = address.slice(0, dotted.index) + '0:0';
  }
  const [head, rest] = address.split('::');
  const parse = (part: string | undefined) =>
    part
      ? part
          .split(':')
          .filter(Boolean)
          .map((group) => parseInt(group, 16))
      : [];
  const start = parse(head);
  const end = parse(rest);
  const groups =
    rest === undefined
      ? start
      : [...start, ...new Array<number>(8 - start.length - end.length).fill(0), ...end];
  const bytes = groups.flatMap((group) => [group >> 8, group & 255]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

function embeddedV4(address: string, offset: number): string {
  return ipv6Bytes(address)
    .slice(offset, offset + 4)
    .join('.');
}

/** The IPv4 address an IPv4-mapped IPv6 address stands for, else the address unchanged. */
export function unmapped(address: string): string {
  if (isIP(address) === 6 && EMBEDDING_V4[0].list.check(address, 'ipv6')) {
    return embeddedV4(address, 12);
  }
  return address;
}

/** Whether an address may never be dialled, needs the allow-list, or is globally routable. */
export function classifyAddress(address: string): AddressClass {
  const family = isIP(address);
  if (family === 4) {
    if (ALWAYS_REFUSED.check(address, 'ipv4')) return 'forbidden';
    return NON_PUBLIC_V4.check(address, 'ipv4') ? 'non_public' : 'public';
  }
  if (family !== 6) return 'forbidden';
  const bare = address.split('%')[0];
  if (ALWAYS_REFUSED.check(bare, 'ipv6')) return 'forbidden';
  // "::" and "::1" sit inside ::/96 but are the unspecified and loopback addresses, not IPv4.
  if (/^[0:]*:1?$/.test(bare)) return 'non_public';
  for (const embedding of EMBEDDING_V4) {
    if (!embedding.list.check(bare, 'ipv6')) continue;
    const inner = classifyAddress(embeddedV4(bare, embedding.offset));
    if (inner === 'forbidden') return 'forbidden';
    if (embedding.sameAsV4) return inner;
    if (inner === 'non_public' || !GLOBAL_V6.check(bare, 'ipv6')) return 'non_public';
    return 'public';
  }
  if (!GLOBAL_V6.check(bare, 'ipv6') || NON_PUBLIC_V6.check(bare, 'ipv6')) return 'non_public';
  return 'public';
}

const HOSTNAME = /^(?:\*\.)?[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$/;

function normalizeHost(host: string): string {
  return host
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/\.$/, '');
}

/** One allow-list entry's port: the one it names, or any when it names none. */
type AllowedPort = number | 'any';

function portMatches(allowed: AllowedPort, port: number): boolean {
  return allowed === 'any' || allowed === port;
}

/**
 * An entry's host part and port: `host:port`, `a.b.c.d:port`, `[v6]:port` or `[v6]/bits:port`.
 * A bare IPv6 address or CIDR takes no port (its colons are the address's own).
 */
function splitPort(entry: string): { host: string; port: AllowedPort } | undefined {
  const bracketed = /^\[([^\]]+)\](\/\d+)?(?::(\d+))?$/.exec(entry);
  const plain = bracketed ? undefined : /^([^:]+):(\d+)$/.exec(entry);
  const [host, portText] = bracketed
    ? [bracketed[1] + (bracketed[2] ?? ''), bracketed[3]]
    : plain
      ? [plain[1], plain[2]]
      : [entry, undefined];
  if (portText === undefined) return { host, port: 'any' };
  const port = Number(portText);
  return port >= 1 && port <= 65535 ? { host, port } : undefined;
}

/**
 * AGENT_ENDPOINT_ALLOWLIST: host names (optionally "*.suffix"), IP addresses and CIDRs, each
 * optionally with a port (`agents.internal:8443`, `10.0.0.5:8080`, `[fd00::5]:8080`). An entry
 * without a port admits every port of its hosts, so users could probe their other services;
 * naming the port closes that.
 */
export class EndpointAllowlist {
  private readonly addresses: { list: BlockList; port: AllowedPort }[] = [];
  private readonly hosts: { host: string; port: AllowedPort }[] = [];
  private readonly suffixes: { suffix: string; port: AllowedPort }[] = [];

  constructor(entries: readonly string[]) {
    for (const raw of entries) {
      const parts = splitPort(raw.trim().toLowerCase());
      if (!parts) throw new Error(`AGENT_ENDPOINT_ALLOWLIST entry "${raw}" has an invalid port`);
      const { port } = parts;
      const entry = normalizeHost(parts.host);
      const [network, prefix, extra] = entry.split('/');
      const family = isIP(normalizeHost(network));
      if (prefix !== undefined) {
        const bits = Number(prefix);
        const max = family === 4 ? 32 : 128;
        if (!family || extra !== undefined || !/^\d+$/.test(prefix) || bits > max) {
          throw new Error(`AGENT_ENDPOINT_ALLOWLIST entry "${raw}" is not a valid CIDR`);
        }
        const list = new BlockList();
        list.addSubnet(normalizeHost(network), bits, family === 4 ? 'ipv4' : 'ipv6');
        this.addresses.push({ list, port });
      } else if (family) {
        const list = new BlockList();
        list.addAddress(unmapped(entry), isIP(unmapped(entry)) === 4 ? 'ipv4' : 'ipv6');
        this.addresses.push({ list, port });
      } else if (HOSTNAME.test(entry)) {
        if (entry.startsWith('*.')) this.suffixes.push({ suffix: entry.slice(1), port });
        else this.hosts.push({ host: entry, port });
      } else {
        throw new Error(
          `AGENT_ENDPOINT_ALLOWLIST entry "${raw}" is not a host name, IP address or CIDR`,
        );
      }
    }
  }

  allowsHost(hostname: string, port: number): boolean {
    const host = normalizeHost(hostname);
    return (
      this.hosts.some((entry) => entry.host === host && portMatches(entry.port, port)) ||
      this.suffixes.some((entry) => host.endsWith(entry.suffix) && portMatches(entry.port, port))
    );
  }

  allowsAddress(address: string, port: number): boolean {
    const plain = unmapped(address.split('%')[0]);
    const family = isIP(plain);
    if (!family) return false;
    const type = family === 4 ? 'ipv4' : 'ipv6';
    return this.addresses.some(
      (entry) => portMatches(entry.port, port) && entry.list.check(plain, type),
    );
  }
}

/** The port a URL connects to: its own, else its scheme's. */
function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/**
 * The SSRF guard for agent endpoints. Checked when an endpoint is registered or changed, and again
 * by the dispatcher right before it sends, against the address it will connect to: DNS may answer
 * differently by then (rebinding), so the connection is pinned to the address checked here.
 */
@Injectable()
export class EndpointPolicy {
  private readonly allowlist: EndpointAllowlist;
  private readonly resolve: HostResolver;

  constructor(config: AppConfig, @Optional() @Inject(HOST_RESOLVER) resolver?: HostResolver) {
    this.allowlist = new EndpointAllowlist(config.agents.endpointAllowlist);
    this.resolve = resolver ?? systemResolver;
  }

  async assertAllowed(url: string): Promise<ResolvedEndpoint> {
    const parsed = this.parse(url);
    const host = normalizeHost(parsed.hostname);
    if (METADATA_HOSTNAMES.has(host)) {
      throw new EndpointNotAllowedException(
        'forbidden_address',
        'endpointUrl points at a cloud metadata service, which is never allowed.',
      );
    }
    const literal = isIP(host);
    const addresses = literal ? [{ address: host, family: literal }] : await this.lookup(host);
    const port = portOf(parsed);
    const hostAllowed = !literal && this.allowlist.allowsHost(host, port);
    for (const { address } of addresses) {
      const kind = classifyAddress(address);
      if (kind === 'forbidden') {
        throw new EndpointNotAllowedException(
          'forbidden_address',
          'endpointUrl resolves to a link-local or cloud metadata address, which is never allowed.',
        );
      }
      if (kind === 'non_public' && !hostAllowed && !this.allowlist.allowsAddress(address, port)) {
        throw new EndpointNotAllowedException(
          'not_allowlisted',
          'endpointUrl resolves to a non-public address that is not in the endpoint allow-list.',
        );
      }
    }
    const [first] = addresses;
    return { url: parsed, address: first.address, family: first.family === 6 ? 6 : 4 };
  }

  private parse(url: string): URL {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new EndpointNotAllowedException('invalid_url', 'endpointUrl is not a valid URL.');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new EndpointNotAllowedException('scheme', 'endpointUrl must be an http or https URL.');
    }
    if (parsed.username || parsed.password) {
      throw new EndpointNotAllowedException(
        'credentials',
        'endpointUrl must not contain credentials; agents authenticate requests by signature.',
      );
    }
    return parsed;
  }

  private async lookup(host: string): Promise<ResolvedAddress[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('DNS lookup timed out')), DNS_TIMEOUT_MS);
    });
    try {
      const addresses = await Promise.race([this.resolve(host), timeout]);
      if (addresses.length > 0) return addresses;
    } catch {
      // reported below, the same way as an empty answer
    } finally {
      clearTimeout(timer);
    }
    throw new EndpointNotAllowedException(
      'unresolvable',
      'endpointUrl host name could not be resolved.',
    );
  }
}

/**
 * A `lookup` for http.request / net.connect that answers with the checked address, so the
 * connection goes where the policy looked (TLS still verifies the certificate for url.hostname).
 */
export function pinnedLookup(endpoint: ResolvedEndpoint): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: endpoint.address, family: endpoint.family }]);
    else callback(null, endpoint.address, endpoint.family);
  };
}
