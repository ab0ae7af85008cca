import { InvalidArgumentError } from '@mailshield/common';
import { Label, type LearnRequest } from '@mailshield/proto/learning';
import { actorOrUnknown, actorProblem } from '../audit/audit-log.js';
import { ErrorCodes } from '../errors.js';

export type LearnedClass = 'spam' | 'ham';

/** Maximum distinct tokens per message, above the 3000 that the antispam tokenizer keeps. */
export const MAX_TOKENS_PER_MESSAGE = 5000;
/** Maximum token length accepted, in characters. */
export const MAX_TOKEN_LENGTH = 200;
const MAX_MESSAGE_ID_LENGTH = 512;

/** A validated Learn request. */
export interface LearnInput {
  messageId: string;
  label: LearnedClass;
  /** Distinct tokens, in request order. */
  tokens: string[];
  actor: string;
}

export interface LearnResult {
  /** Model version after the call. */
  version: number;
  /** False when the message was already learned with this label. */
  changed: boolean;
}

/** The whole model: message counts and per-token counts, tokens sorted. */
export interface ModelSnapshot {
  spamMessages: number;
  hamMessages: number;
  tokens: [string, number, number][];
}

export interface StoredModel {
  /** 0 while nothing has been learned. */
  version: number;
  snapshot: ModelSnapshot;
}

/**
 * The learned state of the antispam Bayes classifier: the tokens and label of every learned
 * message, the per-token counts summed over them, and a version that grows with every change.
 */
export interface LearningStore {
  /** Creates the storage when missing. */
  open(): Promise<void>;
  /**
   * Learns a message. The same id with the same label changes nothing. With the other label,
   * the stored tokens are unlearned from the old class and the new tokens learned.
   */
  learn(input: LearnInput): Promise<LearnResult>;
  /** Current version, cheap enough to call on every poll. */
  version(): Promise<number>;
  /** Current version and model, read consistently. */
  model(): Promise<StoredModel>;
  close(): Promise<void>;
}

/** Checks a Learn request and throws InvalidArgumentError with one entry per invalid field. */
export function checkLearnRequest(request: LearnRequest): LearnInput {
  const problems: string[] = [];
  if (request.messageId === '') problems.push('message_id: must not be empty');
  if (request.messageId.length > MAX_MESSAGE_ID_LENGTH)
    problems.push(`message_id: longer than ${MAX_MESSAGE_ID_LENGTH} characters`);
  if (request.label !== Label.LABEL_SPAM && request.label !== Label.LABEL_HAM)
    problems.push('label: must be LABEL_SPAM or LABEL_HAM');
  const tokens = [...new Set(request.tokens)];
  if (tokens.length > MAX_TOKENS_PER_MESSAGE)
    problems.push(`tokens: ${tokens.length} distinct tokens, at most ${MAX_TOKENS_PER_MESSAGE}`);
  const bad = tokens.findIndex((token) => token === '' || token.length > MAX_TOKEN_LENGTH);
  if (bad >= 0) problems.push(`tokens[${bad}]: must have 1 to ${MAX_TOKEN_LENGTH} characters`);
  const actorError = actorProblem(request.actor);
  if (actorError !== undefined) problems.push(actorError);
  if (problems.length > 0) {
    throw new InvalidArgumentError(
      ErrorCodes.learnInvalid,
      `learn request is invalid: ${problems.join('; ')}`,
      problems,
    );
  }
  return {
    messageId: request.messageId,
    label: request.label === Label.LABEL_SPAM ? 'spam' : 'ham',
    tokens,
    actor: actorOrUnknown(request.actor),
  };
}

/** Orders tokens by UTF-16 code units, as JavaScript's default sort does. */
export function compareTokens(a: [string, number, number], b: [string, number, number]): number {
  if (a[0] < b[0]) return -1;
  return a[0] > b[0] ? 1 : 0;
}
