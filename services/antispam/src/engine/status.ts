import type { AntispamPolicy } from '@mailshield/proto/policy';
import type { Finding } from './types.js';

/** Spam statuses, as written in StageOutcome.status. */
export type SpamStatus =
  'spam' | 'probable_spam' | 'mass_mailing' | 'blacklisted' | 'clean' | 'not_scanned';

/**
 * Decides the status from the findings and their summed score. Order: a block-list match,
 * then an allow-list match, then the thresholds, then the mass-mailing mark.
 */
export function decideStatus(
  findings: Finding[],
  score: number,
  policy: AntispamPolicy,
): SpamStatus {
  if (findings.some((finding) => finding.effect === 'block')) return 'blacklisted';
  if (findings.some((finding) => finding.effect === 'allow')) return 'clean';
  if (score >= policy.spamThreshold) return 'spam';
  if (score >= policy.probableSpamThreshold) return 'probable_spam';
  if (findings.some((finding) => finding.effect === 'bulk')) return 'mass_mailing';
  return 'clean';
}
