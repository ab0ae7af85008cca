import { status as GrpcStatus, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { MailshieldError, type Logger } from '@mailshield/common';
import type { SelfTestRequest, SelfTestResult, StatusResponse } from '@mailshield/proto/integrity';
import { MAX_SELF_TEST_DEADLINE_SECONDS } from '../config.js';
import { ErrorCodes, selfTestInvalid } from '../errors.js';
import type { IntegrityMonitor } from '../integrity/monitor.js';
import type { SelfTest } from '../integrity/self-test.js';
import type { ControlPlaneMetrics } from '../metrics.js';
import type { PolicyStore } from '../policy/policy-store.js';
import { countedUnary } from './handler.js';
import type { PolicyBroadcaster } from './policy-broadcaster.js';

/**
 * The Integrity service: the health of every monitored component, the policy version it
 * reported it applied (flagged as lagging when older than the current version), and the
 * canary self-test. Without `selfTest`, SelfTest fails with UNIMPLEMENTED.
 */
export function integrityService(
  monitor: IntegrityMonitor,
  broadcaster: PolicyBroadcaster,
  store: PolicyStore,
  logger: Logger,
  metrics: ControlPlaneMetrics,
  selfTest?: SelfTest,
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
        lastSelfTest: selfTest?.last(),
        leader: leadership.isLeader,
        leaderIdentity: leadership.holderIdentity,
      };
    }),
    selfTest: countedUnary(
      'Integrity.SelfTest',
      logger,
      metrics,
      async (request: SelfTestRequest): Promise<SelfTestResult> => {
        const deadline = request.deadlineSeconds;
        if (!(deadline >= 0 && deadline <= MAX_SELF_TEST_DEADLINE_SECONDS)) {
          throw selfTestInvalid(
            `deadline_seconds: ${deadline} is invalid, expected 0 (the configured deadline) ` +
              `up to ${MAX_SELF_TEST_DEADLINE_SECONDS}`,
          );
        }
        if (selfTest === undefined) {
          throw new MailshieldError(
            ErrorCodes.selfTestUnavailable,
            'this control plane runs no self-test',
            GrpcStatus.UNIMPLEMENTED,
            false,
          );
        }
        return selfTest.run(deadline === 0 ? undefined : deadline);
      },
    ),
  };
}
