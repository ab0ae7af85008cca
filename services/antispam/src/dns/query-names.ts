import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** Normalizes a client address: IPv4 for IPv4-mapped IPv6, lower case, undefined if invalid. */
export function normalizeAddress(address: string): string | undefined {
  const trimmed = address.trim().replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed);
  if (mapped !== null && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(trimmed)) return trimmed;
  if (!isIPv6(trimmed)) return undefined;
  const nibbles = expandIPv6(trimmed);
  if (nibbles.startsWith('00000000000000000000ffff')) {
    const bytes = nibbles
      .slice(24)
      .match(/../g)!
      .map((hex) => parseInt(hex, 16));
    return bytes.join('.');
  }
  return trimmed.toLowerCase();
}

/** Returns the 32 hexadecimal digits of an IPv6 address, such as `20010db8000000000000000000000001`. */
export function expandIPv6(address: string): string {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    const high = ((a << 8) | b).toString(16);
    const low = ((c << 8) | d).toString(16);
    text = `${text.slice(0, dotted.index)}${high}:${low}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head === '' ? [] : head!.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const groups = tail === undefined ? headGroups : [...headGroups, ...zeros, ...tailGroups];
  return groups.map((group) => group.padStart(4, '0')).join('');
}

/**
 * Returns the name to look up in a DNS block list zone for a client address: reversed octets for
 * IPv4 (`2.0.0.127.zone`), reversed nibbles for IPv6 (RFC 5782 section 2.4).
 */
export function reversedName(address: string, zone: string): string {
  if (isIPv4(address)) return `${address.split('.').reverse().join('.')}.${zone}`;
  return `${expandIPv6(address).split('').reverse().join('.')}.${zone}`;
}

/** Networks that no public block list lists, so looking them up would only leak them. */
const notPublic = (() => {
  const list = new BlockList();
  const v4 = [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
  ] as const;
  for (const [network, prefix] of v4) list.addSubnet(network, prefix, 'ipv4');
  list.addSubnet('::', 127, 'ipv6');
  list.addSubnet('fc00::', 7, 'ipv6');
  list.addSubnet('fe80::', 10, 'ipv6');
  return list;
})();

/** True when a block list lookup makes sense for the address (not loopback, private, link-local). */
export function isPublicAddress(address: string): boolean {
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (family === undefined) return false;
  return !notPublic.check(address, family);
}
