import { BlockList, isIP } from 'node:net';
import { unmapped } from './address-class';

const HOSTNAME = /^(?:\*\.)?[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$/;

/** A host as compared: no brackets, lower case, no trailing dot. */
export function normalizeHost(host: string): string {
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
