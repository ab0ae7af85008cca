import type { MessageClass } from '../engine/bayes/model.js';

/** One test message with the score a filter gave it. */
export interface ScoredMessage {
  name: string;
  label: MessageClass;
  score: number;
}

/** Detection figures of one filter at one cut-off. */
export interface Figures {
  /** Condition for flagged, such as "score >= 5" or "status spam". */
  rule: string;
  spam: number;
  spamFlagged: number;
  ham: number;
  hamFlagged: number;
  /** Share of spam flagged. */
  recall: number;
  /** Share of ham flagged. */
  falsePositiveRate: number;
  /** Share of flagged messages that are spam; 1 when nothing is flagged. */
  precision: number;
  /** Names of the ham messages flagged, for reading them. */
  flaggedHam: string[];
}

/** Counts the figures of `results` when `isFlagged` decides what the filter flags. */
export function measure<T extends ScoredMessage>(
  results: readonly T[],
  rule: string,
  isFlagged: (result: T) => boolean,
): Figures {
  let spam = 0;
  let spamFlagged = 0;
  let ham = 0;
  const flaggedHam: string[] = [];
  for (const result of results) {
    const flagged = isFlagged(result);
    if (result.label === 'spam') {
      spam += 1;
      if (flagged) spamFlagged += 1;
    } else {
      ham += 1;
      if (flagged) flaggedHam.push(result.name);
    }
  }
  const hamFlagged = flaggedHam.length;
  const flagged = spamFlagged + hamFlagged;
  return {
    rule,
    spam,
    spamFlagged,
    ham,
    hamFlagged,
    recall: spam === 0 ? 0 : spamFlagged / spam,
    falsePositiveRate: ham === 0 ? 0 : hamFlagged / ham,
    precision: flagged === 0 ? 1 : spamFlagged / flagged,
    flaggedHam,
  };
}

/** Figures at each score threshold: flagged means a score at or above it. */
export function measureThresholds(
  results: readonly ScoredMessage[],
  thresholds: readonly number[],
): Figures[] {
  return thresholds.map((threshold) =>
    measure(results, `score >= ${threshold}`, (result) => result.score >= threshold),
  );
}
