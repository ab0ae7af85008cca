import { createHash } from 'node:crypto';

/** Share of the corpus, in percent, that is learned; the rest is the test part. */
export const TRAINING_PERCENT = 70;

export const SPLIT_DESCRIPTION =
  `a message is in the training part when the first 8 hex digits of SHA-256(file name), ` +
  `read as an unsigned integer, modulo 100 are below ${TRAINING_PERCENT}; otherwise in the test part`;

function hashWord(name: string, word: number): number {
  const hex = createHash('sha256').update(name, 'utf8').digest('hex');
  return parseInt(hex.slice(word * 8, word * 8 + 8), 16);
}

/** True when the file belongs to the training part of the fixed split. */
export function isTrainingMessage(name: string): boolean {
  return hashWord(name, 0) % 100 < TRAINING_PERCENT;
}

/**
 * Cross-validation fold of a training message, from the second 8 hex digits of the same hash,
 * so the folds are fixed too and independent of the train/test split.
 */
export function crossValidationFold(name: string, folds: number): number {
  return hashWord(name, 1) % folds;
}
