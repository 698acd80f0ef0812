/**
 * Outbound address safety for requests muster makes to URLs its tenants
 * chose (webhooks): a host must resolve only to public unicast addresses.
 * Loopback, private (RFC 1918, ULA), carrier-grade NAT, link-local (which
 * holds the cloud metadata service at 169.254.169.254), multicast, reserved
 * and documentation ranges are refused, and so are IPv4 addresses wrapped in
 * IPv6 (mapped, NAT64, 6to4) that point at them. An operator setting
 * (`allowPrivate`) lifts the check, for receivers on a private network and
 * for tests.
 *
 * Against DNS rebinding, the caller connects to the address returned here,
 * never to the name again: a name that resolves once to a public address and
 * then to 127.0.0.1 cannot slip through between the check and the connect.
 * Every address of the name must be public, so a name with one public and
 * one private record is refused whichever a later lookup would return.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { MusterError } from '../domain/errors.ts';

const refusedV4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];
const refusedV6: readonly (readonly [string, number])[] = [
  ['::', 127], // unspecified and loopback
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local (AWS metadata's fd00:ec2::254 too)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const refused = new BlockList();
for (const [net, prefix] of refusedV4) refused.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of refusedV6) refused.addSubnet(net, prefix, 'ipv6');

/** The IPv4 address an IPv6 address carries (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16), if it carries one. */
function embeddedV4(address: string): string | undefined {
  const groups = expandV6(address);
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zeros = (from: number, to: number) => groups.slice(from, to).every((g) => g === 0);
  if (zeros(0, 5) && groups[5] === 0xffff) return v4(groups[6]!, groups[7]!);
  if (zeros(0, 6) && !(groups[6] === 0 && groups[7]! <= 1)) return v4(groups[6]!, groups[7]!); // IPv4-compatible (deprecated)
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6)) return v4(groups[6]!, groups[7]!);
  if (groups[0] === 0x2002) return v4(groups[1]!, groups[2]!);
  return undefined;
}

/** Eight 16-bit groups of an IPv6 address (dotted IPv4 tails included). */
function expandV6(address: string): number[] {
  let text = address.toLowerCase().split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted[1]!.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** Whether muster may connect to `address` (an IP literal) when private addresses are not allowed. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !refused.check(address, 'ipv4');
  if (family !== 6) return false;
  const inner = embeddedV4(address);
  if (inner !== undefined) return !refused.check(inner, 'ipv4');
  return !refused.check(address, 'ipv6');
}

export interface CheckedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/**
 * Resolves `hostname` (a name or an IP literal, IPv6 with or without
 * brackets) and returns the address to connect to. Throws
 * `webhook.unresolvable` when it has none, `webhook.address_not_allowed`
 * when any of its addresses is not public (unless `allowPrivate`).
 */
export async function resolveCheckedAddress(hostname: string, allowPrivate: boolean): Promise<CheckedAddress> {
  const host = hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: { address: string; family: number }[];
  if (isIP(host) !== 0) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true });
    } catch {
      throw new MusterError('webhook.unresolvable', `The host name ${host} does not resolve.`, { field: 'url' });
    }
    if (addresses.length === 0) throw new MusterError('webhook.unresolvable', `The host name ${host} does not resolve.`, { field: 'url' });
  }
  if (!allowPrivate) {
    const bad = addresses.find((a) => !isPublicAddress(a.address));
    if (bad) throw new MusterError('webhook.address_not_allowed', `${host} resolves to ${bad.address}, which is not a public address.`, { field: 'url' });
  }
  const first = addresses[0]!;
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
