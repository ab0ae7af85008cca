import { defaultScanLimits, defaultVirusActions, isKnownFileType } from '@mailshield/common';
import { QueueMode } from '@mailshield/proto/message';
import {
  VirusAction,
  type AntivirusPolicy,
  type AttachmentRule,
  type Policy,
  type ScanLimits,
  type VirusActions,
} from '@mailshield/proto/policy';

const maxScanTimeoutSeconds = 3600;
const maxSubjectTagLength = 100;
const taggableStatuses = ['infected', 'blocked', 'protected', 'corrupted', 'unscanned'];
const ruleNamePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/**
 * Fills what an antivirus section leaves out from the defaults: a missing direction, an
 * unspecified action and a zero limit all take the default value, so a policy file needs to
 * name only what it changes.
 */
export function normalizeAntivirus(antivirus: AntivirusPolicy): AntivirusPolicy {
  return {
    ...antivirus,
    inbound: fillActions(antivirus.inbound),
    outbound: fillActions(antivirus.outbound),
    limits: fillLimits(antivirus.limits),
    attachmentRules: antivirus.attachmentRules.map((rule) => ({
      ...rule,
      name: rule.name.trim(),
      fileTypes: rule.fileTypes.map((type) => type.trim().toLowerCase()),
      namePatterns: rule.namePatterns.map((pattern) => pattern.trim()),
    })),
  };
}

function fillActions(actions: VirusActions | undefined): VirusActions {
  const defaults = defaultVirusActions();
  if (actions === undefined) return defaults;
  const filled = { ...actions };
  for (const key of Object.keys(defaults) as (keyof VirusActions)[]) {
    if (filled[key] === VirusAction.VIRUS_ACTION_UNSPECIFIED) filled[key] = defaults[key];
  }
  return filled;
}

function fillLimits(limits: ScanLimits | undefined): ScanLimits {
  const defaults = defaultScanLimits();
  if (limits === undefined) return defaults;
  const filled = { ...limits };
  for (const key of Object.keys(defaults) as (keyof ScanLimits)[]) {
    if (filled[key] === 0) filled[key] = defaults[key];
  }
  return filled;
}

/** Appends a message to `errors` for each invalid field of a normalized antivirus section. */
export function checkAntivirus(policy: Policy, errors: string[]): void {
  const antivirus = policy.antivirus!;
  checkTimeout(policy, antivirus.scanTimeoutSeconds, errors);
  checkActions('antivirus.inbound', antivirus.inbound!, errors);
  checkActions('antivirus.outbound', antivirus.outbound!, errors);
  checkSubjectTags(antivirus.subjectTags, errors);
  checkLimits(antivirus.limits!, errors);
  const names = new Set<string>();
  antivirus.attachmentRules.forEach((rule, index) => {
    const field = `antivirus.attachmentRules[${index}]`;
    if (names.has(rule.name)) errors.push(`${field}.name: "${rule.name}" is used by another rule`);
    names.add(rule.name);
    checkRule(field, rule, errors);
  });
}

function checkTimeout(policy: Policy, seconds: number, errors: string[]): void {
  const field = 'antivirus.scanTimeoutSeconds';
  if (!Number.isFinite(seconds)) {
    errors.push(`${field}: must be a number of seconds`);
  } else if (seconds <= 0) {
    errors.push(`${field}: must be greater than 0`);
  } else if (seconds > maxScanTimeoutSeconds) {
    errors.push(`${field}: must be at most ${maxScanTimeoutSeconds}`);
  } else if (
    policy.queueMode === QueueMode.QUEUE_MODE_BEFORE_QUEUE &&
    seconds >= policy.beforeQueueTimeoutSeconds
  ) {
    // The client is waiting for the verdict, so a scan must end before the session gives up.
    errors.push(
      `${field}: must be below beforeQueueTimeoutSeconds (${policy.beforeQueueTimeoutSeconds}) ` +
        'in before-queue mode',
    );
  }
}

function checkActions(field: string, actions: VirusActions, errors: string[]): void {
  for (const [key, value] of Object.entries(actions) as [string, VirusAction][]) {
    if (!isKnownAction(value)) errors.push(`${field}.${key}: ${unknownActionMessage}`);
  }
}

const unknownActionMessage = 'unknown action; use one of the VIRUS_ACTION_ names in policy.proto';

function isKnownAction(value: VirusAction): boolean {
  return value > VirusAction.VIRUS_ACTION_UNSPECIFIED && value <= VirusAction.VIRUS_ACTION_TEMPFAIL;
}

function checkSubjectTags(tags: Record<string, string>, errors: string[]): void {
  for (const [status, tag] of Object.entries(tags)) {
    const field = `antivirus.subjectTags.${status}`;
    if (!taggableStatuses.includes(status)) {
      errors.push(`${field}: unknown status; expected one of ${taggableStatuses.join(', ')}`);
    }
    if (/[\u0000-\u001f\u007f]/.test(tag)) {
      errors.push(`${field}: must not contain control characters such as CR or LF`);
    }
    if (tag.length > maxSubjectTagLength) {
      errors.push(`${field}: must be at most ${maxSubjectTagLength} characters`);
    }
  }
}

function checkLimits(limits: ScanLimits, errors: string[]): void {
  for (const [key, value] of Object.entries(limits) as [string, number][]) {
    if (!Number.isFinite(value) || value < 0) {
      errors.push(`antivirus.limits.${key}: must be greater than 0`);
    }
  }
  if (limits.maxCompressionRatio < 1) {
    errors.push('antivirus.limits.maxCompressionRatio: must be at least 1');
  }
  if (limits.maxMemberBytes > limits.maxExpandedBytes) {
    errors.push(
      `antivirus.limits.maxMemberBytes: must not exceed maxExpandedBytes (${limits.maxExpandedBytes})`,
    );
  }
}

function checkRule(field: string, rule: AttachmentRule, errors: string[]): void {
  if (!ruleNamePattern.test(rule.name)) {
    errors.push(
      `${field}.name: must be 1 to 63 lower-case letters, digits, dots, dashes or underscores`,
    );
  }
  if (rule.fileTypes.length === 0 && rule.namePatterns.length === 0 && rule.minBytes <= 0) {
    errors.push(`${field}: set at least one of fileTypes, namePatterns or minBytes`);
  }
  rule.fileTypes.forEach((type, index) => {
    if (!isKnownFileType(type)) {
      errors.push(`${field}.fileTypes[${index}]: "${type}" is not a known file type or category`);
    }
  });
  rule.namePatterns.forEach((pattern, index) => {
    const problem = namePatternProblem(pattern);
    if (problem !== undefined) errors.push(`${field}.namePatterns[${index}]: ${problem}`);
  });
  if (rule.minBytes < 0) errors.push(`${field}.minBytes: must not be negative`);
  if (!isKnownAction(rule.action)) errors.push(`${field}.action: ${unknownActionMessage}`);
  if (rule.direction < 0) {
    errors.push(`${field}.direction: unknown value; use one of the DIRECTION_ names`);
  }
}

function namePatternProblem(pattern: string): string | undefined {
  if (pattern === '') return 'must not be empty';
  if (/[/\\]/.test(pattern)) return `"${pattern}" must match a file name, without / or \\`;
  let depth = 0;
  for (const char of pattern) {
    if (char === '{') depth++;
    if (char === '}') depth--;
    if (depth < 0 || depth > 1) return `"${pattern}" has unbalanced or nested braces`;
  }
  return depth === 0 ? undefined : `"${pattern}" has an unclosed brace`;
}
