import { BlockList, isIP } from 'node:net';

/** A parsed list of client networks in CIDR notation, IPv4 and IPv6. */
export interface TrustedNetworks {
  /** True when the client address lies in one of the networks. IPv4-mapped IPv6 counts as IPv4. */
  contains(address: string): boolean;
}

/**
 * Parses CIDR entries such as `10.0.0.0/8`, `2001:db8::/32` or a bare address (a single host).
 * Returns the networks and the entries that are not valid CIDR, which the caller reports.
 */
export function parseTrustedNetworks(
  entries: string[],
  minPrefix: { ipv4: number; ipv6: number } = { ipv4: 0, ipv6: 0 },
): {
  networks: TrustedNetworks;
  invalid: string[];
} {
  const list = new BlockList();
  const invalid: string[] = [];
  for (const entry of entries) {
    if (!addNetwork(list, entry.trim(), minPrefix)) invalid.push(entry);
  }
  return {
    networks: { contains: (address) => containsAddress(list, address) },
    invalid,
  };
}

function addNetwork(
  list: BlockList,
  entry: string,
  minPrefix: { ipv4: number; ipv6: number },
): boolean {
  const [rawAddress, rawPrefix, ...rest] = entry.split('/');
  if (rawAddress === undefined || rest.length > 0) return false;
  const address = unmapIPv4(rawAddress);
  const family = isIP(address);
  if (family === 0) return false;
  const maxPrefix = family === 4 ? 32 : 128;
  const prefix = rawPrefix === undefined ? maxPrefix : Number(rawPrefix);
  if (!/^\d{1,3}$/.test(rawPrefix ?? String(maxPrefix)) || prefix > maxPrefix) return false;
  if (prefix < (family === 4 ? minPrefix.ipv4 : minPrefix.ipv6)) return false;
  list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return true;
}

function containsAddress(list: BlockList, rawAddress: string): boolean {
  const address = unmapIPv4(rawAddress.trim());
  const family = isIP(address);
  if (family === 0) return false;
  return list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Turns `::ffff:192.0.2.1` into `192.0.2.1`, so IPv4 rules match dual-stack sockets. */
function unmapIPv4(address: string): string {
  const match = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return match === null ? address : match[1]!;
}
