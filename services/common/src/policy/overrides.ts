import { domainToASCII } from 'node:url';
import {
  Direction,
  type AntispamOverride,
  type AntispamPolicy,
  type AntivirusOverride,
  type AntivirusPolicy,
  type Policy,
  type PolicyOverride,
  type VirusActions,
  type VirusActionsOverride,
} from '@mailshield/proto/policy';
import type { MessageRecord } from '@mailshield/proto/message';
import { defaultPolicy } from './defaults.js';

/** The facts of a message that select the overrides applying to it. */
export interface MessageScope {
  /** Domain of the message's recipients; '' when unknown, so only direction overrides apply. */
  recipientDomain: string;
  isOutbound: boolean;
}

/**
 * Lower-case ASCII (punycode) form of a domain without a trailing dot, as overrides are
 * compared. Returns the lower-cased text when it is not a valid domain name.
 */
export function normalizeOverrideDomain(domain: string): string {
  const trimmed = domain.trim().replace(/\.$/, '');
  return (domainToASCII(trimmed) || trimmed).toLowerCase();
}

/** Domain part of an envelope address (after the last `@`), normalized; '' when it has none. */
export function recipientDomainOf(address: string): string {
  const at = address.lastIndexOf('@');
  return at === -1 ? '' : normalizeOverrideDomain(address.slice(at + 1));
}

/**
 * Returns the override scope of a queued message. The interceptor keeps one override group per
 * message, so the first recipient's domain is the domain of all of them.
 */
export function scopeOfRecord(record: MessageRecord): MessageScope {
  return {
    recipientDomain: recipientDomainOf(record.envelope?.rcptTo[0] ?? ''),
    isOutbound: record.envelope?.outbound === true,
  };
}

/**
 * Returns how specific `override` is for `scope`: 1 for its direction, 2 for its domain, 3 for
 * both, and undefined when it does not apply.
 */
function rankOf(override: PolicyOverride, scope: MessageScope): number | undefined {
  const direction = scope.isOutbound ? Direction.DIRECTION_OUTBOUND : Direction.DIRECTION_INBOUND;
  let rank = 0;
  if (override.direction !== Direction.DIRECTION_UNSPECIFIED) {
    if (override.direction !== direction) return undefined;
    rank += 1;
  }
  if (override.recipientDomain !== '') {
    const domain = normalizeOverrideDomain(override.recipientDomain);
    if (scope.recipientDomain === '' || domain !== scope.recipientDomain) return undefined;
    rank += 2;
  }
  return rank;
}

/** Returns the overrides that apply to `scope`, least specific first. */
export function matchingOverrides(policy: Policy, scope: MessageScope): PolicyOverride[] {
  const ranked: { override: PolicyOverride; rank: number }[] = [];
  for (const override of policy.overrides) {
    const rank = rankOf(override, scope);
    if (rank !== undefined) ranked.push({ override, rank });
  }
  return ranked.sort((a, b) => a.rank - b.rank).map(({ override }) => override);
}

/**
 * Resolves the policy that applies to one message: the global antivirus and antispam settings
 * with every matching override applied, least specific first, so global < direction < domain <
 * domain and direction. The result has no overrides left. Pure: `policy` is not changed.
 */
export function effectivePolicy(policy: Policy, scope: MessageScope): Policy {
  const scoped = { ...scope, recipientDomain: normalizeOverrideDomain(scope.recipientDomain) };
  const defaults = defaultPolicy();
  let antivirus = policy.antivirus ?? defaults.antivirus!;
  let antispam = policy.antispam ?? defaults.antispam!;
  for (const override of matchingOverrides(policy, scoped)) {
    if (override.antivirus !== undefined) antivirus = mergeAntivirus(antivirus, override.antivirus);
    if (override.antispam !== undefined) antispam = mergeAntispam(antispam, override.antispam);
  }
  return { ...policy, antivirus, antispam, overrides: [] };
}

/**
 * Names the override group of a recipient domain: the domain itself when an override names
 * it, '' otherwise. Recipients of one session share the direction, so two recipients get the
 * same effective policy exactly when their groups are equal.
 */
export function overrideGroupOf(policy: Policy, recipientDomain: string): string {
  const domain = normalizeOverrideDomain(recipientDomain);
  if (domain === '') return '';
  const isNamed = policy.overrides.some(
    (override) =>
      override.recipientDomain !== '' &&
      normalizeOverrideDomain(override.recipientDomain) === domain,
  );
  return isNamed ? domain : '';
}

function mergeAntivirus(base: AntivirusPolicy, override: AntivirusOverride): AntivirusPolicy {
  const merged = { ...base.subjectTags, ...override.subjectTags };
  const subjectTags = Object.fromEntries(Object.entries(merged).filter(([, tag]) => tag !== ''));
  return {
    ...base,
    inbound: mergeActions(base.inbound, override.inbound),
    outbound: mergeActions(base.outbound, override.outbound),
    subjectTags,
  };
}

function mergeActions(
  base: VirusActions | undefined,
  override: VirusActionsOverride | undefined,
): VirusActions | undefined {
  if (base === undefined || override === undefined) return base;
  return {
    onInfected: override.onInfected ?? base.onInfected,
    onProtected: override.onProtected ?? base.onProtected,
    onCorrupted: override.onCorrupted ?? base.onCorrupted,
    onEngineError: override.onEngineError ?? base.onEngineError,
    onLimitExceeded: override.onLimitExceeded ?? base.onLimitExceeded,
  };
}

function mergeAntispam(base: AntispamPolicy, override: AntispamOverride): AntispamPolicy {
  const union = (a: string[], b: string[]) => [...new Set([...a, ...b])];
  return {
    ...base,
    spamThreshold: override.spamThreshold ?? base.spamThreshold,
    probableSpamThreshold: override.probableSpamThreshold ?? base.probableSpamThreshold,
    onSpam: override.onSpam ?? base.onSpam,
    onProbableSpam: override.onProbableSpam ?? base.onProbableSpam,
    onBlacklisted: override.onBlacklisted ?? base.onBlacklisted,
    onMassMailing: override.onMassMailing ?? base.onMassMailing,
    subjectTag: override.subjectTag ?? base.subjectTag,
    senderAllowlist: union(base.senderAllowlist, override.senderAllowlist),
    senderBlocklist: union(base.senderBlocklist, override.senderBlocklist),
    networkAllowlist: union(base.networkAllowlist, override.networkAllowlist),
    networkBlocklist: union(base.networkBlocklist, override.networkBlocklist),
  };
}
