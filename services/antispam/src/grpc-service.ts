import { contextFromMetadata, injectTraceContext, unary, type Logger } from '@mailshield/common';
import type {
  AntispamServer,
  ScoreMessageRequest,
  ScoreMessageResponse,
  TrainRequest,
} from '@mailshield/proto/antispam';
import {
  Disposition,
  Envelope,
  MessageRecord,
  QueueMode,
  RecordKind,
} from '@mailshield/proto/message';
import type { Policy } from '@mailshield/proto/policy';
import { InvalidScoreRequestError } from './errors.js';
import { train, type TrainDeps } from './learning/train.js';
import { processRecord, type StageDeps } from './stage.js';

function validate(request: ScoreMessageRequest): void {
  const problems: string[] = [];
  if (request.raw.length === 0) problems.push('raw: must contain the message');
  if (problems.length > 0)
    throw new InvalidScoreRequestError(
      `invalid ScoreMessage request: ${problems.join('; ')}`,
      problems,
    );
}

/**
 * Antispam.ScoreMessage: runs the same stage code as the consumer, with no bus and no backup,
 * so a destructive action is reported but nothing is stored. Antispam.Train: see `train`.
 */
export function createAntispamServer(
  stage: StageDeps,
  currentPolicy: () => Policy,
  logger: Logger,
  trainDeps: TrainDeps,
): AntispamServer {
  const score = async (
    request: ScoreMessageRequest,
    metadata: Parameters<typeof contextFromMetadata>[0],
  ): Promise<ScoreMessageResponse> => {
    validate(request);
    const policy = currentPolicy();
    const input = MessageRecord.fromPartial({
      id: request.id !== '' ? request.id : 'score-message',
      kind: RecordKind.RECORD_KIND_MESSAGE,
      envelope: request.envelope ?? Envelope.fromPartial({}),
      raw: request.raw,
      queueMode: QueueMode.QUEUE_MODE_BEFORE_QUEUE,
      disposition: Disposition.DISPOSITION_DELIVER,
      traceContext: injectTraceContext(contextFromMetadata(metadata)),
    });
    const output = await processRecord(input, policy, stage, { backup: undefined });
    const outcome = output.outcomes[output.outcomes.length - 1];
    return { outcome, disposition: output.disposition, raw: output.raw };
  };
  return {
    scoreMessage: unary(logger, score),
    train: unary(logger, (request: TrainRequest) => train(request, trainDeps)),
  };
}
