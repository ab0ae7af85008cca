import { BayesSnapshotError } from '../../errors.js';
import { TOKENIZER_VERSION } from './tokenizer.js';

export const SNAPSHOT_FORMAT = 1;

/**
 * The learned state of a Bayes model as plain JSON-compatible data, for storage and for
 * sharing between replicas.
 */
export interface BayesSnapshot {
  /** Layout of this object; SNAPSHOT_FORMAT when written by this code. */
  format: number;
  /** TOKENIZER_VERSION of the tokenizer that produced the tokens. */
  tokenizerVersion: number;
  /** Spam messages learned. */
  spamMessages: number;
  /** Ham messages learned. */
  hamMessages: number;
  /** `[token, spam messages that had it, ham messages that had it]`, sorted by token. */
  tokens: [string, number, number][];
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function checkHeader(value: Record<string, unknown>, problems: string[]): void {
  if (value['format'] !== SNAPSHOT_FORMAT)
    problems.push(`format: expected ${SNAPSHOT_FORMAT}, got ${String(value['format'])}`);
  if (value['tokenizerVersion'] !== TOKENIZER_VERSION) {
    problems.push(
      `tokenizerVersion: expected ${TOKENIZER_VERSION}, got ${String(value['tokenizerVersion'])}; ` +
        'relearn the messages with this version',
    );
  }
  if (!isCount(value['spamMessages'])) problems.push('spamMessages: not a count');
  if (!isCount(value['hamMessages'])) problems.push('hamMessages: not a count');
  if (!Array.isArray(value['tokens'])) problems.push('tokens: not an array');
}

/** Checks one token entry; returns a problem or undefined. */
function checkEntry(entry: unknown, spamMessages: number, hamMessages: number): string | undefined {
  if (!Array.isArray(entry) || entry.length !== 3) return 'not a [token, spam, ham] triple';
  const [token, spam, ham] = entry as unknown[];
  if (typeof token !== 'string' || token === '') return 'token is not a non-empty string';
  if (!isCount(spam) || !isCount(ham)) return `counts of ${JSON.stringify(token)} are not counts`;
  if (spam > spamMessages || ham > hamMessages)
    return `counts of ${JSON.stringify(token)} exceed the learned messages`;
  if (spam + ham === 0) return `${JSON.stringify(token)} has no counts`;
  return undefined;
}

/** Problems reported per snapshot before the rest are summarised. */
const MAX_REPORTED_PROBLEMS = 10;

/**
 * Validates untrusted data as a BayesSnapshot, such as one read from storage. Throws
 * BayesSnapshotError listing the problems; the data is not copied.
 */
export function parseSnapshot(value: unknown): BayesSnapshot {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new BayesSnapshotError('invalid Bayes snapshot: not an object');
  const record = value as Record<string, unknown>;
  const problems: string[] = [];
  checkHeader(record, problems);
  if (problems.length > 0)
    throw new BayesSnapshotError(`invalid Bayes snapshot: ${problems.join('; ')}`, problems);
  const snapshot = record as unknown as BayesSnapshot;
  const seen = new Set<string>();
  for (const [index, entry] of snapshot.tokens.entries()) {
    let problem = checkEntry(entry, snapshot.spamMessages, snapshot.hamMessages);
    if (problem === undefined && seen.has(entry[0])) problem = `${entry[0]} appears twice`;
    if (problem === undefined) seen.add(entry[0]);
    else problems.push(`tokens[${index}]: ${problem}`);
    if (problems.length >= MAX_REPORTED_PROBLEMS) break;
  }
  if (problems.length > 0)
    throw new BayesSnapshotError(`invalid Bayes snapshot: ${problems.join('; ')}`, problems);
  return snapshot;
}
