import { FILE_TYPE_CATEGORY } from '@mailshield/common';
import { Direction, type AttachmentRule } from '@mailshield/proto/policy';

/** Facts about an attachment and each file found inside it, which rules are matched against. */
export interface AttachmentFacts {
  /** Decoded size of the attachment, in bytes. */
  size: number;
  /** File names: the attachment's own and those inside its archives or TNEF. */
  names: string[];
  /** Detected types of the attachment and of the files inside it. */
  types: string[];
}

/** Returns the first rule for this direction that matches, or undefined. */
export function matchAttachmentRule(
  rules: readonly AttachmentRule[],
  isOutbound: boolean,
  facts: AttachmentFacts,
): AttachmentRule | undefined {
  const direction = isOutbound ? Direction.DIRECTION_OUTBOUND : Direction.DIRECTION_INBOUND;
  return rules.find(
    (rule) =>
      (rule.direction === Direction.DIRECTION_UNSPECIFIED || rule.direction === direction) &&
      ruleMatches(rule, facts),
  );
}

/** Checks every condition the rule sets; a rule without conditions never matches. */
function ruleMatches(rule: AttachmentRule, facts: AttachmentFacts): boolean {
  if (rule.minBytes > 0 && facts.size < rule.minBytes) return false;
  if (rule.fileTypes.length > 0 && !facts.types.some((type) => typeListed(rule.fileTypes, type)))
    return false;
  if (rule.namePatterns.length > 0) {
    const patterns = rule.namePatterns.map(compilePattern);
    const baseNames = facts.names.map(baseName);
    if (!baseNames.some((name) => patterns.some((pattern) => pattern.test(name)))) return false;
  }
  return rule.fileTypes.length > 0 || rule.namePatterns.length > 0 || rule.minBytes > 0;
}

function typeListed(listed: readonly string[], type: string): boolean {
  return listed.some(
    (entry) =>
      entry === type || FILE_TYPE_CATEGORY[type as keyof typeof FILE_TYPE_CATEGORY] === entry,
  );
}

/**
 * Returns the last path segment, because names inside archives carry folders, without the
 * trailing dots and spaces that Windows drops when it saves a file ("evil.bat." is evil.bat).
 */
function baseName(name: string): string {
  const segments = name.split(/[/\\]/);
  return (segments[segments.length - 1] ?? name).replace(/[. ]+$/, '').trim();
}

const compiled = new Map<string, RegExp>();

/**
 * Turns a name pattern into a case-insensitive regular expression: `*` is any run of
 * characters, `?` one character, and `{a,b}` one of the listed alternatives.
 */
export function compilePattern(pattern: string): RegExp {
  const cached = compiled.get(pattern);
  if (cached !== undefined) return cached;
  let source = '';
  let isInBraces = false;
  for (const char of pattern) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '{') {
      source += '(?:';
      isInBraces = true;
    } else if (char === '}' && isInBraces) {
      source += ')';
      isInBraces = false;
    } else if (char === ',' && isInBraces) source += '|';
    else source += char.replace(/[.+^$()|[\]\\{}]/g, '\\$&');
  }
  if (isInBraces) source += ')';
  const regex = new RegExp(`^${source}$`, 'is');
  if (compiled.size > 1000) compiled.clear();
  compiled.set(pattern, regex);
  return regex;
}
