import { removeHeaderFields } from '@mailshield/common';
import type { AntispamPolicy } from '@mailshield/proto/policy';
import type { ScoreResult } from '../engine/engine.js';
import type { SpamStatus } from '../engine/status.js';
import { formatFoldedField, prependFormattedFields } from '../mail/header-fields.js';

/** Header fields this stage writes; copies that arrive with a message are removed first. */
export const SPAM_HEADER_NAMES = [
  'X-Spam-Flag',
  'X-Spam-Score',
  'X-Spam-Status',
  'X-MS-Exchange-Organization-SCL',
  'X-Mailshield-Spam-Report',
] as const;

const FLAGGED: ReadonlySet<SpamStatus> = new Set(['spam', 'probable_spam', 'blacklisted']);

/**
 * Spam Confidence Level that Microsoft Exchange reads: -1 skips its own filtering (allow-listed
 * senders), 0-4 is delivered to the inbox, 5-9 rises from probable to certain spam.
 */
export function sclFor(result: ScoreResult): number | undefined {
  switch (result.status) {
    case 'blacklisted':
      return 9;
    case 'spam':
      return 7;
    case 'probable_spam':
      return 5;
    case 'mass_mailing':
      return 1;
    case 'clean':
      return result.findings.some((finding) => finding.effect === 'allow') ? -1 : 1;
    case 'not_scanned':
      return undefined;
  }
}

function formatScore(score: number): string {
  return score.toFixed(2).replace(/\.?0+$/, '');
}

/** Report items: one per check that fired, `check=score (RULE=score RULE=score)`. */
export function reportItems(result: ScoreResult): string[] {
  if (result.status === 'not_scanned') return [`not_scanned reason=${result.reason}`];
  const byCheck = new Map<string, { total: number; rules: string[] }>();
  for (const finding of result.findings) {
    const entry = byCheck.get(finding.check) ?? { total: 0, rules: [] };
    entry.total += finding.score;
    entry.rules.push(`${finding.name}=${formatScore(finding.score)}`);
    byCheck.set(finding.check, entry);
  }
  const items = [...byCheck].map(
    ([check, entry]) => `${check}=${formatScore(entry.total)} (${entry.rules.join(' ')})`,
  );
  if (result.failedChecks.length > 0) items.push(`failed=${result.failedChecks.join(' ')}`);
  return items.length > 0 ? items : ['none'];
}

/** Returns the explanation header's name: the policy's `reportHeader`, else X-Mailshield-Spam-Report. */
export function reportHeaderName(policy: AntispamPolicy): string {
  return policy.reportHeader.trim() === ''
    ? 'X-Mailshield-Spam-Report'
    : policy.reportHeader.trim();
}

/** Header fields describing the verdict, formatted and folded, each ending in CRLF. */
export function buildSpamHeaders(result: ScoreResult, policy: AntispamPolicy): string[] {
  const report = formatFoldedField(reportHeaderName(policy), reportItems(result));
  if (result.status === 'not_scanned') {
    return [formatFoldedField('X-Spam-Status', [`not_scanned reason=${result.reason}`]), report];
  }
  const flag = FLAGGED.has(result.status) ? 'YES' : 'NO';
  const status = `${flag === 'YES' ? 'Yes' : 'No'}, status=${result.status} score=${formatScore(result.score)} required=${formatScore(policy.spamThreshold)}`;
  return [
    formatFoldedField('X-Spam-Flag', [flag]),
    formatFoldedField('X-Spam-Score', [formatScore(result.score)]),
    formatFoldedField('X-Spam-Status', [status]),
    formatFoldedField('X-MS-Exchange-Organization-SCL', [String(sclFor(result))]),
    report,
  ];
}

/** Replaces any spam header fields in the message with this stage's; the body is untouched. */
export function addSpamHeaders(raw: Buffer, result: ScoreResult, policy: AntispamPolicy): Buffer {
  return prependFormattedFields(
    // A sender must not be able to pass its own report on, under either name.
    removeHeaderFields(raw, [...SPAM_HEADER_NAMES, reportHeaderName(policy)]),
    buildSpamHeaders(result, policy),
  );
}
