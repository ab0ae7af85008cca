/**
 * Token probabilities with Gary Robinson's prior, combined with Fisher's method into one
 * chi-square score: the scheme of SpamBayes (spambayes/classifier.py), written anew here.
 */

export interface ScoringParameters {
  /**
   * Robinson's s: how many messages' worth of weight the prior has. Larger values pull the
   * probability of a rarely seen token harder towards `unknownTokenProbability`.
   */
  unknownTokenStrength: number;
  /** Robinson's x: the probability given to a token never seen. */
  unknownTokenProbability: number;
  /** Tokens whose probability lies closer than this to 0.5 are not used as clues. */
  minimumStrength: number;
  /** Clues used per message: the ones farthest from 0.5. */
  maxClues: number;
}

/**
 * SpamBayes' prior of 0.5 and 150 clues. Cross-validation on the evaluation corpus also tried a
 * strength of 0.03 to 1, a minimum strength of 0 to 0.35 and 50 to 1000 clues, and none of
 * them did better than these values.
 */
export const DEFAULT_SCORING_PARAMETERS: Readonly<ScoringParameters> = {
  unknownTokenStrength: 0.45,
  unknownTokenProbability: 0.5,
  minimumStrength: 0.1,
  maxClues: 150,
};

/**
 * Returns the spam probability of one token, Robinson's f(w). The raw ratio compares the token's
 * frequency among spam with its frequency among ham, so unequal numbers of learned spam and
 * ham do not bias it. Robinson's prior then shrinks the ratio of rare tokens towards x.
 */
export function tokenProbability(
  spamCount: number,
  hamCount: number,
  spamMessages: number,
  hamMessages: number,
  parameters: ScoringParameters,
): number {
  const spamRatio = spamCount / Math.max(spamMessages, 1);
  const hamRatio = hamCount / Math.max(hamMessages, 1);
  const ratio = spamRatio / (spamRatio + hamRatio);
  const seen = spamCount + hamCount;
  const strength = parameters.unknownTokenStrength;
  return (strength * parameters.unknownTokenProbability + seen * ratio) / (strength + seen);
}

/**
 * Probability that a chi-square variable with `degrees` (even) degrees of freedom is at least
 * `chiSquare`. The series is exact for even degrees; terms below the double range give 0.
 */
export function chiSquareTail(chiSquare: number, degrees: number): number {
  const half = chiSquare / 2;
  let term = Math.exp(-half);
  let sum = term;
  for (let i = 1; i < degrees / 2; i += 1) {
    term *= half / i;
    sum += term;
  }
  return Math.min(sum, 1);
}

const PROBABILITY_FLOOR = 1e-9;

/**
 * Combines clue probabilities into one score in [0, 1]. Fisher's method tests the clues once
 * against the hypothesis "ham" (H) and once against "spam" (S). The result is (S - H + 1) / 2,
 * so a message with strong evidence both ways lands near 0.5 instead of at either end. No clues
 * give 0.5.
 */
export function combineChiSquare(probabilities: readonly number[]): number {
  const count = probabilities.length;
  if (count === 0) return 0.5;
  let logSpam = 0;
  let logHam = 0;
  for (const probability of probabilities) {
    // A clue of exactly 0 or 1 would make a logarithm infinite and the score undefined.
    const clamped = Math.min(Math.max(probability, PROBABILITY_FLOOR), 1 - PROBABILITY_FLOOR);
    logSpam += Math.log(1 - clamped);
    logHam += Math.log(clamped);
  }
  const spamminess = 1 - chiSquareTail(-2 * logSpam, 2 * count);
  const hamminess = 1 - chiSquareTail(-2 * logHam, 2 * count);
  return (spamminess - hamminess + 1) / 2;
}

/** Keeps the clues at least `minimumStrength` away from 0.5, strongest first, at most `maxClues`. */
export function selectClues(
  probabilities: readonly number[],
  parameters: ScoringParameters,
): number[] {
  const strong = probabilities.filter(
    (probability) => Math.abs(probability - 0.5) >= parameters.minimumStrength,
  );
  if (strong.length <= parameters.maxClues) return strong;
  strong.sort((a, b) => Math.abs(b - 0.5) - Math.abs(a - 0.5));
  return strong.slice(0, parameters.maxClues);
}
