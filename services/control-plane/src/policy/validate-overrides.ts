import { effectivePolicy, normalizeOverrideDomain } from '@mailshield/common';
import { Direction, type Policy, type PolicyOverride } from '@mailshield/proto/policy';
import { isDomainName } from './names.js';
import { checkLists } from './validate-antispam.js';

const trimAll = (items: string[]) => items.map((item) => item.trim());

/** Lower-cases the override domains and trims their list entries, as the global lists are. */
export function normalizeOverrides(overrides: PolicyOverride[]): PolicyOverride[] {
  return overrides.map((override) => ({
    ...override,
    recipientDomain: normalizeOverrideDomain(override.recipientDomain),
    antispam:
      override.antispam === undefined
        ? undefined
        : {
            ...override.antispam,
            senderAllowlist: trimAll(override.antispam.senderAllowlist),
            senderBlocklist: trimAll(override.antispam.senderBlocklist),
            networkAllowlist: trimAll(override.antispam.networkAllowlist),
            networkBlocklist: trimAll(override.antispam.networkBlocklist),
          },
  }));
}

/** Checks of a resolved policy, such as the antivirus and antispam checks of validate.ts. */
export type ResolvedCheck = (policy: Policy, errors: string[]) => void;

/**
 * Appends a message to `errors` for each invalid override of a normalized policy. It checks the
 * scope, duplicate scopes, actions for a direction the override does not cover, and list
 * entries. It also reports every setting that makes the resolved policy of the scope invalid,
 * such as a probable-spam threshold above the spam threshold that applies there.
 */
export function checkOverrides(policy: Policy, errors: string[], check: ResolvedCheck): void {
  // Errors are gathered per override, so they come out in index order across both passes.
  const byOverride: string[][] = policy.overrides.map(() => []);
  const scopes = new Map<string, number>();
  policy.overrides.forEach((override, index) => {
    const field = `overrides[${index}]`;
    const overrideErrors = byOverride[index]!;
    checkScope(field, override, overrideErrors);
    const key = `${override.recipientDomain} ${override.direction}`;
    const other = scopes.get(key);
    if (other !== undefined) {
      overrideErrors.push(
        `${field}: overrides[${other}] has the same recipientDomain and direction; merge the two`,
      );
    } else {
      scopes.set(key, index);
    }
    checkDirections(field, override, overrideErrors);
    if (isValidScope(override) && changesNothing(override)) {
      overrideErrors.push(
        `${field}: changes no setting, yet it would make the interceptor defer mixed recipients; ` +
          'give it antivirus or antispam settings, or remove it',
      );
    }
    if (override.antispam !== undefined)
      checkLists(`${field}.antispam`, override.antispam, overrideErrors);
  });
  const listless = withoutLists(policy);
  const scoped = { ...listless, overrides: listless.overrides.filter(isValidScope) };
  listless.overrides.forEach((override, index) => {
    if (!isValidScope(override)) return;
    for (const added of resolvedErrors(scoped, override, check)) {
      byOverride[index]!.push(`overrides[${index}].${added}`);
    }
  });
  errors.push(...byOverride.flat());
}

/** True when the override sets no field, so the resolved policy of its scope is the global one. */
function changesNothing(override: PolicyOverride): boolean {
  const isUnset = (value: unknown) =>
    value === undefined || (Array.isArray(value) && value.length === 0);
  const { antivirus, antispam } = override;
  const antivirusEmpty =
    antivirus === undefined ||
    ([antivirus.inbound, antivirus.outbound].every(
      (actions) => actions === undefined || Object.values(actions).every(isUnset),
    ) &&
      Object.keys(antivirus.subjectTags).length === 0);
  const antispamEmpty = antispam === undefined || Object.values(antispam).every(isUnset);
  return antivirusEmpty && antispamEmpty;
}

function isValidScope(override: PolicyOverride): boolean {
  const hasDirection = override.direction !== Direction.DIRECTION_UNSPECIFIED;
  const isKnownDirection =
    override.direction >= Direction.DIRECTION_UNSPECIFIED &&
    override.direction <= Direction.DIRECTION_OUTBOUND;
  const domainValid = override.recipientDomain === '' || isDomainName(override.recipientDomain);
  return isKnownDirection && domainValid && (hasDirection || override.recipientDomain !== '');
}

function checkScope(field: string, override: PolicyOverride, errors: string[]): void {
  const { recipientDomain, direction } = override;
  if (recipientDomain !== '' && !isDomainName(recipientDomain)) {
    errors.push(
      `${field}.recipientDomain: ${JSON.stringify(recipientDomain)} is not a valid domain name`,
    );
  }
  if (direction < Direction.DIRECTION_UNSPECIFIED || direction > Direction.DIRECTION_OUTBOUND) {
    errors.push(`${field}.direction: unknown value; use DIRECTION_INBOUND or DIRECTION_OUTBOUND`);
  } else if (recipientDomain === '' && direction === Direction.DIRECTION_UNSPECIFIED) {
    errors.push(
      `${field}: set recipientDomain, direction or both; settings for all mail belong in the global antivirus and antispam sections`,
    );
  }
}

function checkDirections(field: string, override: PolicyOverride, errors: string[]): void {
  const antivirus = override.antivirus;
  if (antivirus === undefined) return;
  if (override.direction === Direction.DIRECTION_INBOUND && antivirus.outbound !== undefined) {
    errors.push(
      `${field}.antivirus.outbound: never applies, because the override is for inbound mail`,
    );
  }
  if (override.direction === Direction.DIRECTION_OUTBOUND && antivirus.inbound !== undefined) {
    errors.push(
      `${field}.antivirus.inbound: never applies, because the override is for outbound mail`,
    );
  }
}

/** Returns a copy without the override list entries, which checkLists checks with their own indexes. */
function withoutLists(policy: Policy): Policy {
  return {
    ...policy,
    overrides: policy.overrides.map((override) => ({
      ...override,
      antispam:
        override.antispam === undefined
          ? undefined
          : {
              ...override.antispam,
              senderAllowlist: [],
              senderBlocklist: [],
              networkAllowlist: [],
              networkBlocklist: [],
            },
    })),
  };
}

/**
 * Returns the errors that `override` adds to the policy resolved for its scope: the check's
 * errors with the override applied, minus those of the less specific levels alone. An
 * override for both directions is checked in each.
 */
function resolvedErrors(policy: Policy, override: PolicyOverride, check: ResolvedCheck): string[] {
  const directions =
    override.direction === Direction.DIRECTION_UNSPECIFIED
      ? [false, true]
      : [override.direction === Direction.DIRECTION_OUTBOUND];
  const added = new Set<string>();
  for (const isOutbound of directions) {
    const scope = { recipientDomain: override.recipientDomain, isOutbound };
    const rank = specificity(override);
    const below = policy.overrides.filter((other) => specificity(other) < rank);
    const before = errorsOf(effectivePolicy({ ...policy, overrides: below }, scope), check);
    const after = errorsOf(
      effectivePolicy({ ...policy, overrides: [...below, override] }, scope),
      check,
    );
    for (const error of after) if (!before.has(error)) added.add(error);
  }
  return [...added];
}

function specificity(override: PolicyOverride): number {
  const hasDirection = override.direction !== Direction.DIRECTION_UNSPECIFIED ? 1 : 0;
  return hasDirection + (override.recipientDomain !== '' ? 2 : 0);
}

function errorsOf(policy: Policy, check: ResolvedCheck): Set<string> {
  const errors: string[] = [];
  check(policy, errors);
  return new Set(errors);
}
