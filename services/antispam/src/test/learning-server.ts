import { createLogger, startGrpcServer, unary, InvalidArgumentError } from '@mailshield/common';
import {
  Label,
  LearningService,
  type GetModelRequest,
  type GetModelResponse,
  type LearnRequest,
  type LearnResponse,
} from '@mailshield/proto/learning';
import { BayesModel } from '../engine/bayes/model.js';

/**
 * A Learning service on loopback with the control plane's semantics (idempotent by message
 * id, relabel moves the message, a version per change), kept in memory for antispam tests.
 */
export async function startLearningServer(): Promise<{
  port: number;
  learned: Map<string, LearnRequest>;
  stop(): Promise<void>;
}> {
  const logger = createLogger('learning-test', 'silent');
  const learned = new Map<string, LearnRequest>();
  let version = 0;
  const learn = async (request: LearnRequest): Promise<LearnResponse> => {
    if (request.messageId === '' || request.label === Label.LABEL_UNSPECIFIED)
      throw new InvalidArgumentError('CP_LEARN_INVALID', 'invalid', ['message_id or label']);
    if (learned.get(request.messageId)?.label === request.label) return { version, changed: false };
    learned.set(request.messageId, request);
    version += 1;
    return { version, changed: true };
  };
  const getModel = async (request: GetModelRequest): Promise<GetModelResponse> => {
    if (request.knownVersion === version) return { version, changed: false, snapshotJson: '' };
    const model = new BayesModel();
    for (const entry of learned.values())
      model.learnTokens(entry.tokens, entry.label === Label.LABEL_SPAM ? 'spam' : 'ham');
    const { spamMessages, hamMessages, tokens } = model.toSnapshot();
    return {
      version,
      changed: true,
      snapshotJson: JSON.stringify({ spamMessages, hamMessages, tokens }),
    };
  };
  const server = await startGrpcServer(
    '127.0.0.1',
    0,
    [
      {
        definition: LearningService,
        implementation: { learn: unary(logger, learn), getModel: unary(logger, getModel) },
      },
    ],
    logger,
  );
  return { port: server.port, learned, stop: () => server.stop() };
}
