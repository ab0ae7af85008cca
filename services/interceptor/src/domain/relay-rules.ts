import { domainToASCII } from 'node:url';
import type { Policy } from '@mailshield/proto/policy';
import { parseTrustedNetworks, type TrustedNetworks } from './trusted-networks.js';

/** Shortest trusted-network prefixes honoured; a wider block holds much of the internet. */
export const MIN_TRUSTED_PREFIX = { ipv4: 8, ipv6: 16 } as const;

/**
 * The relay decision of one policy version: a recipient is accepted when its domain is a
 * relay domain, or when the client is in a trusted network (outbound mail).
 */
export class RelayRules {
  private readonly relayDomains: Set<string>;
  private readonly trusted: TrustedNetworks;
  /** Trusted-network entries of the policy that are not valid CIDR or too wide, and were ignored. */
  readonly invalidNetworks: string[];

  constructor(policy: Pick<Policy, 'relayDomains' | 'trustedNetworks'>) {
    this.relayDomains = new Set(policy.relayDomains.map(normalizeDomain).filter((d) => d !== ''));
    // The control plane refuses wider blocks; this guards against a policy stored without it.
    const parsed = parseTrustedNetworks(policy.trustedNetworks, MIN_TRUSTED_PREFIX);
    this.trusted = parsed.networks;
    this.invalidNetworks = parsed.invalid;
  }

  /** True when the client is in a trusted network; an unknown client address never is. */
  isTrustedClient(address: string | undefined): boolean {
    return address !== undefined && this.trusted.contains(address);
  }

  isRelayDomain(domain: string): boolean {
    const normalized = normalizeDomain(domain);
    return normalized !== '' && this.relayDomains.has(normalized);
  }

  mayRelay(clientAddress: string | undefined, recipient: string): boolean {
    return this.refusalOf(clientAddress, recipient) === undefined;
  }

  /**
   * Returns why a recipient is rejected, or undefined when it is accepted. A trusted client may
   * send anywhere. From other clients, a local part with `%`, `!` or `@` is rejected, because a
   * next hop that honours such source routes would relay the message onward. The domainless
   * `postmaster` is accepted, as RFC 5321 section 4.5.1 requires. An undefined client address
   * (not known, see `ClientOrigin`) gets the relay domains only.
   */
  refusalOf(clientAddress: string | undefined, recipient: string): 'routing' | 'relay' | undefined {
    if (this.isTrustedClient(clientAddress)) return undefined;
    const at = recipient.lastIndexOf('@');
    if (at === -1) return recipient.toLowerCase() === 'postmaster' ? undefined : 'relay';
    if (/[%!@]/.test(recipient.slice(0, at))) return 'routing';
    return this.isRelayDomain(recipient.slice(at + 1)) ? undefined : 'relay';
  }
}

/** Domain part of an address (after the last `@`), or '' for the domainless `postmaster`. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at === -1 ? '' : address.slice(at + 1);
}

/**
 * Lower-case ASCII (punycode) form of a domain, so `Bücher.example`, `BÜCHER.example` and
 * `xn--bcher-kva.example` compare equal. Returns '' for a domain that is not valid; address
 * literals such as `[192.0.2.1]` are compared as written, in lower case.
 */
export function normalizeDomain(domain: string): string {
  const trimmed = domain.trim().replace(/\.$/, '');
  if (trimmed.startsWith('[')) return trimmed.toLowerCase();
  return domainToASCII(trimmed).toLowerCase();
}
