import { createHash } from 'node:crypto';
import type { Logger } from '@mailshield/common';
import type { TrainRequest, TrainResponse } from '@mailshield/proto/antispam';
import { Label } from '@mailshield/proto/learning';
import { tokenize } from '../engine/bayes/tokenizer.js';
import { MessageParseError, parseMessage } from '../engine/parse.js';
import type { ParsedMessage } from '../engine/types.js';
import { InvalidTrainRequestError } from '../errors.js';
import type { LearningApi } from './learning-client.js';
import type { ModelHolder } from './model-holder.js';

const MAX_ID_LENGTH = 512;

export interface TrainDeps {
  learning: LearningApi;
  holder: ModelHolder;
  logger: Logger;
}

function checkRequest(request: TrainRequest): void {
  const problems: string[] = [];
  if (request.raw.length === 0) problems.push('raw: must contain the message');
  if (request.label !== Label.LABEL_SPAM && request.label !== Label.LABEL_HAM)
    problems.push('label: must be LABEL_SPAM or LABEL_HAM');
  if (request.id.length > MAX_ID_LENGTH)
    problems.push(`id: longer than ${MAX_ID_LENGTH} characters`);
  if (problems.length > 0)
    throw new InvalidTrainRequestError(`invalid Train request: ${problems.join('; ')}`, problems);
}

async function parseForTraining(raw: Buffer): Promise<ParsedMessage> {
  try {
    return await parseMessage(raw);
  } catch (err) {
    if (!(err instanceof MessageParseError)) throw err;
    const problem = `raw: cannot be parsed: ${err.message}`;
    throw new InvalidTrainRequestError(`invalid Train request: ${problem}`, [problem]);
  }
}

/**
 * Antispam.Train: tokenizes the message as the bayes check does, stores the tokens through
 * Learning.Learn, then refreshes this replica's model at once. Other replicas see the change
 * at their next poll.
 */
export async function train(request: TrainRequest, deps: TrainDeps): Promise<TrainResponse> {
  checkRequest(request);
  const raw = Buffer.from(request.raw);
  const tokens = tokenize(await parseForTraining(raw));
  const id =
    request.id !== '' ? request.id : `sha256:${createHash('sha256').update(raw).digest('hex')}`;
  const learned = await deps.learning.learn({
    messageId: id,
    label: request.label,
    tokens,
    actor: request.actor,
  });
  deps.logger.info(
    {
      event: 'antispam.trained',
      mail_id: id,
      label: request.label === Label.LABEL_SPAM ? 'spam' : 'ham',
      actor: request.actor,
      tokens: tokens.length,
      version: learned.version,
      changed: learned.changed,
    },
    learned.changed ? 'message learned' : 'message already learned with this label',
  );
  await deps.holder.refresh().catch((err: unknown) => {
    // The message is learned; this replica picks the model up at its next poll.
    deps.logger.warn(
      { err, event: 'antispam.bayes_model_fetch_failed', mail_id: id },
      'fetching the model after training failed; the next poll retries',
    );
  });
  return { id, version: learned.version, changed: learned.changed, tokenCount: tokens.length };
}
