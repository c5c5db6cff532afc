import { BlockList, isIP } from 'node:net';

/**
 * Which addresses an agent endpoint may resolve to: the IP arithmetic of the SSRF policy
 * (EndpointPolicy), with IPv6 forms that embed an IPv4 address judged by that address.
 */

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
