import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from '@mailshield/common';
import type { StatusResponse } from '@mailshield/proto/integrity';
import type { IntegrityMonitor } from '../integrity/monitor.js';
import type { ControlPlaneMetrics } from '../metrics.js';
import type { PolicyStore } from '../policy/policy-store.js';
import { countedUnary } from './handler.js';
import type { PolicyBroadcaster } from './policy-broadcaster.js';

/**
 * The Integrity service: the health of every monitored component and the policy version it
 * reported it applied, flagged as lagging when older than the current version.
 */
export function integrityService(
  monitor: IntegrityMonitor,
  broadcaster: PolicyBroadcaster,
  store: PolicyStore,
  logger: Logger,
  metrics: ControlPlaneMetrics,
): UntypedServiceImplementation {
  return {
    status: countedUnary('Integrity.Status', logger, metrics, async (): Promise<StatusResponse> => {
      const policy = await store.get();
      const components = monitor
        .snapshot(broadcaster.appliedVersionsByComponent())
        .map((component) => ({
          ...component,
          policyLagging: component.policyVersion > 0 && component.policyVersion < policy.version,
        }));
      const leadership = monitor.leadership();
      return {
        components,
        policyVersion: policy.version,
        lastSelfTest: undefined,
        leader: leadership.isLeader,
        leaderIdentity: leadership.holderIdentity,
      };
    }),
  };
}
