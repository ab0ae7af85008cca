import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from '@mailshield/common';
import type { StatusResponse } from '@mailshield/proto/integrity';
import type { IntegrityMonitor } from '../integrity/monitor.js';
import type { ControlPlaneMetrics } from '../metrics.js';
import type { PolicyStore } from '../policy/policy-store.js';
import { countedUnary } from './handler.js';
import type { PolicyBroadcaster } from './policy-broadcaster.js';

/** The Integrity service: the health and policy version of every monitored component. */
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
      const leadership = monitor.leadership();
      return {
        components: monitor.snapshot(broadcaster.versionsByComponent()),
        policyVersion: policy.version,
        lastSelfTest: undefined,
        leader: leadership.isLeader,
        leaderIdentity: leadership.holderIdentity,
      };
    }),
  };
}
