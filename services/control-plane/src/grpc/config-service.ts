import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import { InvalidArgumentError, type Logger } from '@mailshield/common';
import type { SetPolicyRequest, WatchPolicyRequest } from '@mailshield/proto/config';
import type { Policy } from '@mailshield/proto/policy';
import type { AuditLog } from '../audit/audit-log.js';
import { ErrorCodes } from '../errors.js';
import type { ControlPlaneMetrics } from '../metrics.js';
import type { PolicyStore } from '../policy/policy-store.js';
import { countedUnary } from './handler.js';
import type { PolicyBroadcaster } from './policy-broadcaster.js';

/** The Config service: Get, Set and Watch of the versioned policy. */
export function configService(
  store: PolicyStore,
  broadcaster: PolicyBroadcaster,
  logger: Logger,
  metrics: ControlPlaneMetrics,
  audit: AuditLog,
): UntypedServiceImplementation {
  return {
    get: countedUnary('Config.Get', logger, metrics, () => store.get()),
    set: countedUnary('Config.Set', logger, metrics, async (request: SetPolicyRequest) => {
      if (request.policy === undefined) {
        throw new InvalidArgumentError(ErrorCodes.policyInvalid, 'policy is missing', [
          'policy: missing',
        ]);
      }
      const actor = request.actor === '' ? 'unknown' : request.actor;
      const stored = await store.set(request.policy, request.expectedVersion, actor);
      logger.info(
        { event: 'policy.stored', policy_version: stored.version, actor },
        'policy stored',
      );
      await audit.record({
        actor,
        action: 'policy.set',
        target: 'policy',
        detail: `stored as version ${stored.version}`,
      });
      broadcaster.publish(stored);
      return stored;
    }),
    watch: (call: ServerWritableStream<WatchPolicyRequest, Policy>) => {
      void broadcaster.watch(call);
    },
  };
}
