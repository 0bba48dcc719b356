import { type LookupAddress, type LookupOptions, lookup } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a destination may never reach unless private destinations are allowed:
 * loopback, private, carrier-grade NAT, link-local, unspecified, multicast and reserved
 * ranges, in IPv4 and IPv6 (IPv4-mapped, IPv4-compatible and NAT64 forms included).
 */
const privateRanges = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  privateRanges.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  privateRanges.addSubnet(net, prefix, 'ipv6');
}

/**
 * Cloud metadata services, refused even when private destinations are allowed: they hand
 * out the host's credentials, and no webhook endpoint ever lives there, so a private
 * instance loses nothing by refusing them (as Svix does). IPv4 link-local is refused
 * whole because that is where the providers put them: AWS, GCP, Azure and Oracle at
 * 169.254.169.254, ECS task metadata at 169.254.170.2, the VPC's DNS and time servers.
 */
const metadataRanges = new BlockList();
metadataRanges.addSubnet('169.254.0.0', 16, 'ipv4');
metadataRanges.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud
metadataRanges.addAddress('fd00:ec2::254', 'ipv6'); // AWS IMDS over IPv6

/** What is refused: `private` unless private destinations are allowed, `metadata` always. */
export type AddressRefusal = 'private' | 'metadata';

/**
 * Why a destination may not connect to `address`, or undefined when it may. Anything
 * that is not an IP address is refused (the guarded lookup only ever hands IPs here).
 */
export function refuseAddress(address: string, allowPrivate: boolean): AddressRefusal | undefined {
  const family = isIP(address);
  if (family === 0) return 'private';
  // An IPv6 form that carries an IPv4 address reaches that IPv4 address: judge that one.
  const v4 = family === 6 ? embeddedIPv4(address) : address;
  const [ip, type] = v4 ? [v4, 'ipv4' as const] : [address, 'ipv6' as const];
  if (metadataRanges.check(ip, type)) return 'metadata';
  if (!allowPrivate && privateRanges.check(ip, type)) return 'private';
  return undefined;
}

/** True for every address a destination may not reach when private destinations are not allowed. */
export function isBlockedAddress(address: string): boolean {
  return refuseAddress(address, false) !== undefined;
}

/**
 * The IPv4 address inside an IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96) or
 * NAT64 (64:ff9b::/96) IPv6 address, in dotted form; undefined for any other address.
 */
function embeddedIPv4(address: string): string | undefined {
  const words = ipv6Words(address);
  if (!words) return undefined;
  const head = words.slice(0, 6);
  const mapped = head.every((w, i) => w === (i === 5 ? 0xffff : 0));
  const compatible = head.every((w) => w === 0) && (words[6] !== 0 || (words[7] as number) > 1); // not :: or ::1
  const nat64 = words[0] === 0x64 && words[1] === 0xff9b && head.slice(2).every((w) => w === 0);
  if (!mapped && !compatible && !nat64) return undefined;
  const hi = words[6] as number;
  const lo = words[7] as number;
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/** An IPv6 address as its eight 16-bit words (the zone, if any, dropped). */
function ipv6Words(address: string): number[] | undefined {
  let text = address.split('%')[0] as string;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left, right] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part ? part.split(':').map((w) => Number.parseInt(w, 16)) : []);
  const head = parse(left);
  const tail = right === undefined ? [] : parse(right);
  const words = right === undefined ? head : [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  return words.length === 8 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? words : undefined;
}

/**
 * How to receive deliveries on a private network or your own machine, for every refusal
 * of a private destination (API and delivery attempts alike).
 */
export const PRIVATE_DESTINATION_HINT =
  'this instance delivers only to public addresses. On a private instance, set HOOKLINE_ALLOW_PRIVATE_DESTINATIONS=true; ' +
  'to receive events on your own machine, run `npx hookline listen <port> --source <source id>` (@hookline/sdk), ' +
  'which forwards them to localhost with no tunnel';

/** Why an address is refused, to follow "<host> is" or "<name> resolves to". */
export function refusalReason(refusal: AddressRefusal): string {
  return refusal === 'metadata'
    ? 'a cloud metadata address, which is never a destination'
    : `a private address: ${PRIVATE_DESTINATION_HINT}`;
}

export class BlockedDestinationError extends Error {
  readonly code = 'EBLOCKED';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type GuardedLookup = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

/**
 * A dns.lookup for the delivery agent that refuses what `refuseAddress` refuses. It runs
 * at connect time, so the address checked is the address used (no check-then-resolve gap
 * for DNS rebinding to slip through).
 */
export function guardedLookup(options: { allowPrivate: boolean }): GuardedLookup {
  return (hostname, lookupOptions, callback) => {
    lookup(hostname, { ...lookupOptions, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const refusals = addresses.map((a) => refuseAddress(a.address, options.allowPrivate));
      const allowed = addresses.filter((_, i) => refusals[i] === undefined);
      if (allowed.length === 0) {
        const refusal = refusals.includes('metadata') ? 'metadata' : 'private';
        return callback(new BlockedDestinationError(`${hostname} resolves to ${refusalReason(refusal)}`), []);
      }
      if (lookupOptions.all) return callback(null, allowed);
      const first = allowed[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}
