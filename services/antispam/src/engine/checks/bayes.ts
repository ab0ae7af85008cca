import type { BayesModel } from '../bayes/model.js';
import type { Check, Finding } from '../types.js';

/** One range of Bayes spam probability and the points a message in it gets. */
export interface BayesBand {
  name: string;
  /** Lowest probability of the band, which reaches up to the minimum of the next higher band. */
  min: number;
  score: number;
}

/**
 * Bands from the highest probability down. A probability of 0.999 or more alone makes a message
 * spam under the default policy (threshold 5), 0.95 or more alone makes it probable spam
 * (threshold 3), and from 0.6 the rule checks decide with it. Below 0.2 the score goes down, so
 * a rule that fires on ordinary mail does not flag it on its own. The scores were chosen by
 * 5-fold cross-validation inside the training part of the evaluation split (`src/eval/`).
 */
export const BAYES_BANDS: readonly BayesBand[] = [
  { name: 'BAYES_999', min: 0.999, score: 5.0 },
  { name: 'BAYES_99', min: 0.99, score: 4.0 },
  { name: 'BAYES_95', min: 0.95, score: 3.0 },
  { name: 'BAYES_80', min: 0.8, score: 2.5 },
  { name: 'BAYES_60', min: 0.6, score: 2.0 },
  { name: 'BAYES_40', min: 0.4, score: 0.5 },
  { name: 'BAYES_20', min: 0.2, score: -0.5 },
  { name: 'BAYES_05', min: 0.05, score: -1.0 },
  { name: 'BAYES_00', min: 0, score: -2.0 },
];

/** Returns the band that a probability falls in. */
export function bayesBand(
  probability: number,
  bands: readonly BayesBand[] = BAYES_BANDS,
): BayesBand {
  return bands.find((band) => probability >= band.min) ?? bands[bands.length - 1]!;
}

/**
 * Creates the `bayes` check. `getModel` is called for every message, so the caller can swap
 * the model at any time, such as when a new snapshot arrives. The check adds no finding while
 * there is no model or the model has not learned enough spam and ham yet.
 */
export function createBayesCheck(
  getModel: () => BayesModel | undefined,
  bands: readonly BayesBand[] = BAYES_BANDS,
): Check {
  return {
    name: 'bayes',
    run(message): Finding[] {
      const result = getModel()?.classify(message);
      if (result === undefined) return [];
      const band = bayesBand(result.probability, bands);
      return [
        {
          name: band.name,
          object: 'message',
          score: band.score,
          detail: `Bayes spam probability ${result.probability.toFixed(4)} from ${result.clueCount} tokens`,
        },
      ];
    },
  };
}
