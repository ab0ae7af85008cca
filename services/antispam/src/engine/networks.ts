import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { normalizeAddress } from '../dns/query-names.js';

/** A set of client networks from a policy list: CIDR blocks and single addresses. */
export interface NetworkList {
  /** The entry that contains `address`, or undefined. */
  find(address: string): string | undefined;
  readonly size: number;
}

interface Network {
  entry: string;
  list: BlockList;
}

/** Parses `192.0.2.0/24`, `2001:db8::/32` or a single address, or returns undefined. */
function parseNetwork(entry: string): Network | undefined {
  const [addressText, prefixText, extra] = entry.trim().split('/');
  if (extra !== undefined || addressText === undefined) return undefined;
  const address = normalizeAddress(addressText);
  if (address === undefined) return undefined;
  const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (family === undefined) return undefined;
  const maxPrefix = family === 'ipv4' ? 32 : 128;
  const prefix = prefixText === undefined ? maxPrefix : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? '0') || prefix > maxPrefix) return undefined;
  const list = new BlockList();
  list.addSubnet(address, prefix, family);
  return { entry: entry.trim(), list };
}

/**
 * Compiles a policy's network list. Entries that do not parse are left out: the control
 * plane refuses them, so one can only come from a policy stored before that check existed.
 */
export function compileNetworks(entries: readonly string[]): NetworkList {
  const networks = entries.map(parseNetwork).filter((network) => network !== undefined);
  return {
    size: networks.length,
    find(address) {
      const normalized = normalizeAddress(address);
      if (normalized === undefined || networks.length === 0) return undefined;
      const family = isIPv4(normalized) ? 'ipv4' : 'ipv6';
      return networks.find((network) => network.list.check(normalized, family))?.entry;
    },
  };
}
