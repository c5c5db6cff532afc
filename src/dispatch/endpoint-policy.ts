import { Injectable } from '@nestjs/common';
import { promises as dns } from 'node:dns';
import { isIP, LookupFunction } from 'node:net';
import { withDeadline } from '../common/async/deadline';
import { AppConfig } from '../config/app-config';
import { classifyAddress } from './address-class';
import { EndpointRefusedError } from './dispatch.errors';
import { EndpointAllowlist, normalizeHost } from './endpoint-allowlist';

/** An endpoint that passed the policy, with the address it was checked against. */
export interface ResolvedEndpoint {
  url: URL;
  /** Connect to this address (see pinnedLookup), never to a fresh resolution of url.hostname. */
  address: string;
  family: 4 | 6;
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to every address it has (A and AAAA): the system's resolver. */
@Injectable()
export class HostResolver {
  lookup(hostname: string): Promise<ResolvedAddress[]> {
    return dns.lookup(hostname, { all: true, verbatim: true });
  }
}

const DNS_TIMEOUT_MS = 5000;

/** Cloud metadata services reachable by name; their addresses are refused as well. */
const METADATA_HOSTNAMES = new Set(['metadata.google.internal', 'metadata.goog']);

/** The port a URL connects to: its own, else its scheme's. */
function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/**
 * The SSRF guard for agent endpoints and webhook URLs. Checked when an endpoint is registered or
 * changed, and again by the dispatcher (the webhook sender) right before it sends, against the
 * address it will connect to: DNS may answer differently by then (rebinding), so the connection is
 * pinned to the address checked here.
 */
@Injectable()
export class EndpointPolicy {
  private readonly allowlist: EndpointAllowlist;

  constructor(
    config: AppConfig,
    private readonly resolver: HostResolver,
  ) {
    this.allowlist = new EndpointAllowlist(config.agents.endpointAllowlist);
  }

  /** `field` names the URL in refusals' messages: the property of the request that held it. */
  async assertAllowed(url: string, field = 'endpointUrl'): Promise<ResolvedEndpoint> {
    const parsed = this.parse(url, field);
    const host = normalizeHost(parsed.hostname);
    if (METADATA_HOSTNAMES.has(host)) {
      throw new EndpointRefusedError(
        'forbidden_address',
        `${field} points at a cloud metadata service, which is never allowed.`,
      );
    }
    const literal = isIP(host);
    const addresses = literal
      ? [{ address: host, family: literal }]
      : await this.lookup(host, field);
    const port = portOf(parsed);
    const hostAllowed = !literal && this.allowlist.allowsHost(host, port);
    for (const { address } of addresses) {
      const kind = classifyAddress(address);
      if (kind === 'forbidden') {
        throw new EndpointRefusedError(
          'forbidden_address',
          `${field} resolves to a link-local or cloud metadata address, which is never allowed.`,
        );
      }
      if (kind === 'non_public' && !hostAllowed && !this.allowlist.allowsAddress(address, port)) {
        throw new EndpointRefusedError(
          'not_allowlisted',
          `${field} resolves to a non-public address that is not in the endpoint allow-list.`,
        );
      }
    }
    const [first] = addresses;
    return { url: parsed, address: first.address, family: first.family === 6 ? 6 : 4 };
  }

  private parse(url: string, field: string): URL {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new EndpointRefusedError('invalid_url', `${field} is not a valid URL.`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new EndpointRefusedError('scheme', `${field} must be an http or https URL.`);
    }
    if (parsed.username || parsed.password) {
      throw new EndpointRefusedError(
        'credentials',
        `${field} must not contain credentials; requests are authenticated by their signature.`,
      );
    }
    return parsed;
  }

  private async lookup(host: string, field: string): Promise<ResolvedAddress[]> {
    try {
      const addresses = await withDeadline(
        this.resolver.lookup(host),
        DNS_TIMEOUT_MS,
        'DNS lookup',
      );
      if (addresses.length > 0) return addresses;
    } catch {
      // reported below, the same way as an empty answer
    }
    throw new EndpointRefusedError('unresolvable', `${field} host name could not be resolved.`);
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
