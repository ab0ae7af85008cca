import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from '@mailshield/common';
import type {
  GetModelRequest,
  GetModelResponse,
  LearnRequest,
  LearnResponse,
} from '@mailshield/proto/learning';
import { checkLearnRequest, type LearningStore } from '../learning/learning-store.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { ControlPlaneMetrics } from '../metrics.js';
import { countedUnary } from './handler.js';

/**
 * Implements the Learning service: Learn and GetModel of the antispam classifier's shared
 * state. A Learn request that names an actor comes from a person (through Antispam.Train), so
 * it is recorded in `audit` when the caller passes an audit log.
 */
export function learningService(
  store: LearningStore,
  logger: Logger,
  metrics: ControlPlaneMetrics,
  audit?: AuditLog,
): UntypedServiceImplementation {
  return {
    learn: countedUnary(
      'Learning.Learn',
      logger,
      metrics,
      async (request: LearnRequest): Promise<LearnResponse> => {
        const input = checkLearnRequest(request);
        const result = await store.learn(input);
        logger.info(
          {
            event: 'learning.learned',
            mail_id: input.messageId,
            label: input.label,
            tokens: input.tokens.length,
            actor: input.actor,
            version: result.version,
            changed: result.changed,
          },
          result.changed ? 'message learned' : 'message already learned with this label',
        );
        if (audit !== undefined && request.actor !== '') {
          await audit.record({
            actor: input.actor,
            action: 'learning.learn',
            target: input.messageId,
            detail: `learned as ${input.label}${result.changed ? '' : ' (no change)'}`,
          });
        }
        return result;
      },
    ),
    getModel: countedUnary(
      'Learning.GetModel',
      logger,
      metrics,
      async (request: GetModelRequest): Promise<GetModelResponse> => {
        const version = await store.version();
        if (version === request.knownVersion) return { version, changed: false, snapshotJson: '' };
        const model = await store.model();
        return {
          version: model.version,
          changed: true,
          snapshotJson: JSON.stringify(model.snapshot),
        };
      },
    ),
  };
}
