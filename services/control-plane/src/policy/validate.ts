import { defaultPolicy } from '@mailshield/common';
import { QueueMode } from '@mailshield/proto/message';
import { SpamAction, type Policy } from '@mailshield/proto/policy';
import { policyInvalid } from '../errors.js';
import { isDomainName, trustedNetworkProblem } from './names.js';
import { checkAntispamLists, normalizeAntispamLists } from './validate-antispam.js';
import { checkAntivirus, normalizeAntivirus } from './validate-antivirus.js';
import { checkOverrides, normalizeOverrides } from './validate-overrides.js';

const maxMessageBytesLimit = 1024 * 1024 * 1024;
/** RFC 5321 section 4.5.3.2.6: a client waits 10 minutes for the reply to the end of DATA. */
const maxBeforeQueueTimeoutSeconds = 600;
const maxSubjectTagLength = 100;

/**
 * Returns a copy of `policy` ready to store: missing antivirus and antispam sections are
 * filled from the defaults, domains are lower-cased, and list items are trimmed. The version
 * is left for the store to assign.
 */
export function normalizePolicy(policy: Policy): Policy {
  const defaults = defaultPolicy();
  const trimAll = (items: string[]) => items.map((item) => item.trim());
  const antispam = policy.antispam ?? defaults.antispam!;
  return {
    ...policy,
    relayDomains: trimAll(policy.relayDomains).map((domain) => domain.toLowerCase()),
    trustedNetworks: trimAll(policy.trustedNetworks),
    antivirus: normalizeAntivirus(policy.antivirus ?? defaults.antivirus!),
    antispam: normalizeAntispamLists(antispam),
    overrides: normalizeOverrides(policy.overrides),
  };
}

/**
 * Normalizes and checks a policy. Throws InvalidArgumentError (CP_POLICY_INVALID) whose
 * `fieldErrors` name every invalid field in the proto JSON spelling, such as
 * `antispam.spamThreshold: must be greater than 0`.
 */
export function validatePolicy(input: Policy): Policy {
  const policy = normalizePolicy(input);
  const errors: string[] = [];
  checkTopLevel(policy, errors);
  checkAntivirus(policy, errors);
  checkAntispam(policy, errors);
  checkOverrides(policy, errors, (resolved, resolvedErrors) => {
    checkAntivirus(resolved, resolvedErrors);
    checkAntispam(resolved, resolvedErrors);
  });
  if (errors.length > 0) throw policyInvalid(errors);
  return policy;
}

function checkTopLevel(policy: Policy, errors: string[]): void {
  checkEnum('queueMode', policy.queueMode, QueueMode.QUEUE_MODE_UNSPECIFIED, errors);
  policy.relayDomains.forEach((domain, index) => {
    if (!isDomainName(domain)) {
      errors.push(`relayDomains[${index}]: ${JSON.stringify(domain)} is not a valid domain name`);
    }
  });
  checkDuplicates('relayDomains', policy.relayDomains, errors);
  if (policy.relayDomains.length === 0 && policy.trustedNetworks.length === 0) {
    errors.push(
      'relayDomains: empty, and so is trustedNetworks, so the gateway would reject all mail; ' +
        'list the domains it receives mail for',
    );
  }
  policy.trustedNetworks.forEach((network, index) => {
    const problem = trustedNetworkProblem(network);
    if (problem !== undefined)
      errors.push(`trustedNetworks[${index}]: ${JSON.stringify(network)}: ${problem}`);
  });
  checkRange('maxMessageBytes', policy.maxMessageBytes, maxMessageBytesLimit, errors, ' (1 GiB)');
  checkRange(
    'beforeQueueTimeoutSeconds',
    policy.beforeQueueTimeoutSeconds,
    maxBeforeQueueTimeoutSeconds,
    errors,
  );
}

function checkAntispam(policy: Policy, errors: string[]): void {
  const antispam = policy.antispam!;
  const unspecified = SpamAction.SPAM_ACTION_UNSPECIFIED;
  checkRange('antispam.spamThreshold', antispam.spamThreshold, Number.MAX_VALUE, errors);
  checkRange(
    'antispam.probableSpamThreshold',
    antispam.probableSpamThreshold,
    Number.MAX_VALUE,
    errors,
  );
  if (antispam.probableSpamThreshold > antispam.spamThreshold) {
    errors.push(
      `antispam.probableSpamThreshold: ${antispam.probableSpamThreshold} must not exceed ` +
        `antispam.spamThreshold (${antispam.spamThreshold})`,
    );
  }
  checkEnum('antispam.onSpam', antispam.onSpam, unspecified, errors);
  checkEnum('antispam.onProbableSpam', antispam.onProbableSpam, unspecified, errors);
  checkEnum('antispam.onBlacklisted', antispam.onBlacklisted, unspecified, errors);
  checkEnum('antispam.onMassMailing', antispam.onMassMailing, unspecified, errors);
  checkSubjectTag(antispam.subjectTag, antispam.onSpam, antispam.onProbableSpam, errors);
  checkAntispamLists(antispam, errors);
}

function checkSubjectTag(
  tag: string,
  onSpam: SpamAction,
  onProbable: SpamAction,
  errors: string[],
): void {
  if (/[\u0000-\u001f\u007f]/.test(tag)) {
    errors.push('antispam.subjectTag: must not contain control characters such as CR or LF');
  }
  if (tag.length > maxSubjectTagLength) {
    errors.push(`antispam.subjectTag: must be at most ${maxSubjectTagLength} characters`);
  }
  const tags = [onSpam, onProbable].includes(SpamAction.SPAM_ACTION_TAG_SUBJECT);
  if (tags && tag.trim() === '') {
    errors.push('antispam.subjectTag: must be set when an action is SPAM_ACTION_TAG_SUBJECT');
  }
}

function checkEnum(field: string, value: number, unspecified: number, errors: string[]): void {
  if (value === unspecified) errors.push(`${field}: must be set (it is unspecified)`);
  else if (value < 0) errors.push(`${field}: unknown value; use one of the names in policy.proto`);
}

function checkRange(field: string, value: number, max: number, errors: string[], unit = ''): void {
  if (!Number.isFinite(value)) errors.push(`${field}: must be a number`);
  else if (value <= 0) errors.push(`${field}: must be greater than 0`);
  else if (value > max) errors.push(`${field}: must be at most ${max}${unit}`);
}

function checkDuplicates(field: string, items: string[], errors: string[]): void {
  const seen = new Set<string>();
  for (const item of items) {
    if (seen.has(item)) errors.push(`${field}: ${JSON.stringify(item)} is listed twice`);
    seen.add(item);
  }
}
