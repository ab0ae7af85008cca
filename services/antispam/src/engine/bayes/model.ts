import type { ParsedMessage } from '../types.js';
import {
  combineChiSquare,
  DEFAULT_SCORING_PARAMETERS,
  selectClues,
  tokenProbability,
  type ScoringParameters,
} from './scoring.js';
import { parseSnapshot, SNAPSHOT_FORMAT, type BayesSnapshot } from './snapshot.js';
import { tokenize, TOKENIZER_VERSION } from './tokenizer.js';

export type MessageClass = 'spam' | 'ham';

export interface BayesModelOptions {
  /** Spam messages to learn before the model classifies anything. */
  minSpamMessages: number;
  /** Ham messages to learn before the model classifies anything. */
  minHamMessages: number;
  scoring: ScoringParameters;
}

export const DEFAULT_BAYES_OPTIONS: Readonly<BayesModelOptions> = {
  minSpamMessages: 200,
  minHamMessages: 200,
  scoring: DEFAULT_SCORING_PARAMETERS,
};

export interface BayesResult {
  /** Spam probability in [0, 1], where 0.5 means no evidence either way. */
  probability: number;
  /** Tokens that took part in the decision. */
  clueCount: number;
}

interface TokenCounts {
  spam: number;
  ham: number;
}

/**
 * A naive Bayes spam classifier: per token, how many learned spam and ham messages had it.
 * Learning, unlearning and merging only add or subtract counts, so they are cheap and models
 * learned on different replicas can be summed. It is not safe to share between threads.
 */
export class BayesModel {
  private readonly counts = new Map<string, TokenCounts>();
  private spam = 0;
  private ham = 0;
  readonly options: BayesModelOptions;

  constructor(options: Partial<BayesModelOptions> = {}) {
    this.options = { ...DEFAULT_BAYES_OPTIONS, ...options };
  }

  /** Builds a model from a snapshot; throws BayesSnapshotError when it is invalid. */
  static fromSnapshot(snapshot: unknown, options: Partial<BayesModelOptions> = {}): BayesModel {
    const model = new BayesModel(options);
    // merge validates the snapshot, so data read from storage needs no other check.
    model.merge(snapshot as BayesSnapshot);
    return model;
  }

  get spamMessages(): number {
    return this.spam;
  }

  get hamMessages(): number {
    return this.ham;
  }

  /** Distinct tokens with a count. */
  get tokenCount(): number {
    return this.counts.size;
  }

  /** True once enough spam and ham are learned for `classify` to return a result. */
  get isReady(): boolean {
    return this.spam >= this.options.minSpamMessages && this.ham >= this.options.minHamMessages;
  }

  learn(message: ParsedMessage, label: MessageClass): void {
    this.learnTokens(tokenize(message), label);
  }

  /**
   * Takes back an earlier `learn` of the same message with the same label, such as when a
   * user corrects a verdict. The caller must know that it was learned: counts stop at zero,
   * but unlearning a message never learned skews the other tokens.
   */
  unlearn(message: ParsedMessage, label: MessageClass): void {
    this.unlearnTokens(tokenize(message), label);
  }

  /** Learns one message given as its distinct tokens. */
  learnTokens(tokens: Iterable<string>, label: MessageClass): void {
    for (const token of new Set(tokens)) {
      const counts = this.counts.get(token);
      if (counts === undefined) this.counts.set(token, { spam: 0, ham: 0, [label]: 1 });
      else counts[label] += 1;
    }
    if (label === 'spam') this.spam += 1;
    else this.ham += 1;
  }

  unlearnTokens(tokens: Iterable<string>, label: MessageClass): void {
    for (const token of new Set(tokens)) {
      const counts = this.counts.get(token);
      if (counts === undefined) continue;
      counts[label] = Math.max(counts[label] - 1, 0);
      if (counts.spam === 0 && counts.ham === 0) this.counts.delete(token);
    }
    if (label === 'spam') this.spam = Math.max(this.spam - 1, 0);
    else this.ham = Math.max(this.ham - 1, 0);
  }

  /**
   * Adds the counts of another model or snapshot, as if its messages had been learned here.
   * Merging the same state twice counts its messages twice. A snapshot is validated first
   * (BayesSnapshotError), and this model is unchanged when it is invalid.
   */
  merge(other: BayesModel | BayesSnapshot): void {
    const snapshot = other instanceof BayesModel ? other.toSnapshot() : parseSnapshot(other);
    for (const [token, spam, ham] of snapshot.tokens) {
      const counts = this.counts.get(token);
      if (counts === undefined) this.counts.set(token, { spam, ham });
      else {
        counts.spam += spam;
        counts.ham += ham;
      }
    }
    this.spam += snapshot.spamMessages;
    this.ham += snapshot.hamMessages;
  }

  /** Copies the learned state into plain data, sorted by token so equal states are equal JSON. */
  toSnapshot(): BayesSnapshot {
    const tokens: [string, number, number][] = [];
    for (const [token, counts] of this.counts) tokens.push([token, counts.spam, counts.ham]);
    // Code-unit order, as JSON readers compare strings, and independent of the locale.
    tokens.sort((a, b) => {
      if (a[0] === b[0]) return 0;
      return a[0] < b[0] ? -1 : 1;
    });
    return {
      format: SNAPSHOT_FORMAT,
      tokenizerVersion: TOKENIZER_VERSION,
      spamMessages: this.spam,
      hamMessages: this.ham,
      tokens,
    };
  }

  /** Spam probability of a message, or undefined while the model `isReady` is false. */
  classify(message: ParsedMessage): BayesResult | undefined {
    return this.isReady ? this.classifyTokens(tokenize(message)) : undefined;
  }

  classifyTokens(tokens: Iterable<string>): BayesResult | undefined {
    if (!this.isReady) return undefined;
    const probabilities: number[] = [];
    const parameters = this.options.scoring;
    for (const token of new Set(tokens)) {
      const counts = this.counts.get(token);
      probabilities.push(
        counts === undefined
          ? parameters.unknownTokenProbability
          : tokenProbability(counts.spam, counts.ham, this.spam, this.ham, parameters),
      );
    }
    const clues = selectClues(probabilities, parameters);
    return { probability: combineChiSquare(clues), clueCount: clues.length };
  }
}
