import { measure, measureThresholds, type Figures, type ScoredMessage } from './metrics.js';
import type { EngineScoredMessage } from './ours.js';

/** Score thresholds at which both filters are measured, besides the default policy. */
export const THRESHOLDS = [2, 3, 4, 5, 6, 8] as const;

/**
 * Measures the engine's results: by status under the default policy (spam alone, and spam or
 * probable_spam, which is what "flagged" means in the docs), then at each threshold.
 */
export function engineFigures(results: readonly EngineScoredMessage[]): Figures[] {
  return [
    measure(results, 'status spam', (result) => result.status === 'spam'),
    measure(
      results,
      'status spam or probable_spam',
      (result) => result.status === 'spam' || result.status === 'probable_spam',
    ),
    ...measureThresholds(results, THRESHOLDS),
  ];
}

export function thresholdFigures(results: readonly ScoredMessage[]): Figures[] {
  return measureThresholds(results, THRESHOLDS);
}
