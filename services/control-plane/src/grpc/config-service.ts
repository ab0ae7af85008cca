import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { InvalidArgumentError, type Logger } from '@mailshield/common';
import type {
  PolicyHistoryRequest,
  PolicyHistoryResponse,
  ReportAppliedRequest,
  ReportAppliedResponse,
  RollbackPolicyRequest,
  SetPolicyRequest,
  WatchPolicyRequest,
} from '@mailshield/proto/config';
import type { Policy } from '@mailshield/proto/policy';
import { actorOrUnknown, type AuditLog } from '../audit/audit-log.js';
import { ErrorCodes } from '../errors.js';
import type { ControlPlaneMetrics } from '../metrics.js';
import { rollbackPolicy, type PolicyStore } from '../policy/policy-store.js';
import { summarizePolicy } from '../policy/summary.js';
import { countedUnary } from './handler.js';
import type { PolicyBroadcaster } from './policy-broadcaster.js';

/** Versions History returns when the request gives no limit, and the most it returns. */
const defaultHistoryLimit = 20;
const maxHistoryLimit = 1000;

/**
 * The Config service: Get, Set, Watch, History and Rollback of the versioned policy, and
 * ReportApplied, which records the version each component runs.
 */
export function configService(
  store: PolicyStore,
  broadcaster: PolicyBroadcaster,
  logger: Logger,
  metrics: ControlPlaneMetrics,
  audit: AuditLog,
): UntypedServiceImplementation {
  /** Logs, audits and broadcasts a newly stored version. */
  const announce = async (stored: Policy, actor: string, action: string, detail: string) => {
    logger.info(
      { event: 'policy.stored', action, policy_version: stored.version, actor },
      'policy stored',
    );
    await audit.record({ actor, action, target: 'policy', detail });
    broadcaster.publish(stored);
  };
  return {
    get: countedUnary('Config.Get', logger, metrics, () => store.get()),
    set: countedUnary('Config.Set', logger, metrics, async (request: SetPolicyRequest) => {
      if (request.policy === undefined) {
        throw new InvalidArgumentError(ErrorCodes.policyInvalid, 'policy is missing', [
          'policy: missing',
        ]);
      }
      const actor = actorOrUnknown(request.actor);
      const stored = await store.set(request.policy, request.expectedVersion, actor);
      await announce(stored, actor, 'policy.set', `stored as version ${stored.version}`);
      return stored;
    }),
    watch: (call: ServerWritableStream<WatchPolicyRequest, Policy>) => {
      void broadcaster.watch(call);
    },
    history: countedUnary(
      'Config.History',
      logger,
      metrics,
      async (request: PolicyHistoryRequest): Promise<PolicyHistoryResponse> => {
        if (request.limit < 0 || request.limit > maxHistoryLimit) {
          throw new InvalidArgumentError(
            ErrorCodes.policyRequestInvalid,
            `limit ${request.limit} is out of range; use 1 to ${maxHistoryLimit}, or 0 for ${defaultHistoryLimit}`,
            [`limit: must be 0 to ${maxHistoryLimit}`],
          );
        }
        const versions = await store.history(request.limit || defaultHistoryLimit);
        return {
          entries: versions.map((entry) => ({
            version: entry.policy.version,
            actor: entry.actor,
            storedAt: entry.storedAt,
            summary: summarizePolicy(entry.policy),
          })),
        };
      },
    ),
    rollback: countedUnary(
      'Config.Rollback',
      logger,
      metrics,
      async (request: RollbackPolicyRequest): Promise<Policy> => {
        if (request.toVersion < 1) {
          throw new InvalidArgumentError(
            ErrorCodes.policyRequestInvalid,
            'to_version is missing; name a version that "policy history" lists',
            ['toVersion: must be 1 or more'],
          );
        }
        const actor = actorOrUnknown(request.actor);
        const stored = await rollbackPolicy(
          store,
          request.toVersion,
          request.expectedVersion,
          actor,
        );
        const detail = `rolled back to the content of version ${request.toVersion}, stored as version ${stored.version}`;
        await announce(stored, actor, 'policy.rollback', detail);
        return stored;
      },
    ),
    reportApplied: countedUnary(
      'Config.ReportApplied',
      logger,
      metrics,
      async (request: ReportAppliedRequest): Promise<ReportAppliedResponse> => {
        const fieldErrors = [
          ...(request.component === '' ? ['component: missing'] : []),
          ...(request.version < 1 ? [`version: ${request.version} must be 1 or more`] : []),
        ];
        if (fieldErrors.length > 0) {
          throw new InvalidArgumentError(
            ErrorCodes.policyRequestInvalid,
            `applied version report is invalid: ${fieldErrors.join('; ')}`,
            fieldErrors,
          );
        }
        broadcaster.recordApplied(request.component, request.version);
        return {};
      },
    ),
  };
}
