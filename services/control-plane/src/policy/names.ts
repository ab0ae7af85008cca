import { isIPv4, isIPv6 } from 'node:net';

const labelPattern = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * Checks a DNS domain name in ASCII form (RFC 1035 section 2.3.4 limits, letters, digits and
 * hyphens, so internationalized names must be punycode `xn--` labels). Letters may be
 * of either case, because DNS names compare without regard to case (RFC 4343).
 */
export function isDomainName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => labelPattern.test(label));
}

/**
 * Returns a problem with a CIDR block (`192.0.2.0/24`, `2001:db8::/32`), or undefined when it
 * is valid. A prefix length of 0 is refused because it would let every client relay.
 */
export function cidrProblem(text: string): string | undefined {
  const slash = text.indexOf('/');
  if (slash === -1) return 'expected CIDR notation such as 192.0.2.0/24 or 2001:db8::/32';
  const address = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  const maxPrefix = isIPv4(address) ? 32 : isIPv6(address) ? 128 : undefined;
  if (maxPrefix === undefined) return `${JSON.stringify(address)} is not an IPv4 or IPv6 address`;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > maxPrefix) {
    return `prefix length must be a number from 1 to ${maxPrefix}`;
  }
  if (Number(prefixText) === 0) return 'prefix length 0 would make the gateway an open relay';
  return undefined;
}

/**
 * Shortest prefixes accepted for trusted networks. A wider block contains a large part of the
 * public address space, so trusting it would let most of the internet relay.
 */
export const MIN_TRUSTED_PREFIX = { ipv4: 8, ipv6: 16 } as const;

/** Returns a problem with a trusted network: invalid CIDR, or wider than MIN_TRUSTED_PREFIX. */
export function trustedNetworkProblem(text: string): string | undefined {
  const problem = cidrProblem(text);
  if (problem !== undefined) return problem;
  const [address = '', prefixText = ''] = text.split('/');
  const minimum = isIPv4(address) ? MIN_TRUSTED_PREFIX.ipv4 : MIN_TRUSTED_PREFIX.ipv6;
  if (Number(prefixText) < minimum) {
    return (
      `prefix length ${prefixText} is shorter than /${minimum}, so the block contains much of the ` +
      'internet and the gateway would be an open relay; list the networks of your own mail servers'
    );
  }
  return undefined;
}

/**
 * Checks a sender list entry: a domain (`example.org`), a domain with a leading `@`, or a
 * whole address (`user@example.org`).
 */
export function isSenderPattern(text: string): boolean {
  if (/[\s\u0000-\u001f\u007f]/.test(text)) return false;
  const at = text.lastIndexOf('@');
  if (at === -1) return isDomainName(text);
  const local = text.slice(0, at);
  if (local.length > 64 || local.includes('@')) return false;
  return isDomainName(text.slice(at + 1));
}

/** Checks an envelope address `local@domain`, as given for a release. */
export function isMailAddress(text: string): boolean {
  const at = text.lastIndexOf('@');
  if (at <= 0) return false;
  return isSenderPattern(text) && text.length <= 254;
}
