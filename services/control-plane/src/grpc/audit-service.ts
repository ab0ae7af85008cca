import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from '@mailshield/common';
import type { ListAuditRequest, ListAuditResponse } from '@mailshield/proto/audit';
import type { AuditLog } from '../audit/audit-log.js';
import type { ControlPlaneMetrics } from '../metrics.js';
import { countedUnary } from './handler.js';

/** Implements the Audit service: List of the audit log, newest first. */
export function auditService(
  audit: AuditLog,
  logger: Logger,
  metrics: ControlPlaneMetrics,
): UntypedServiceImplementation {
  return {
    list: countedUnary(
      'Audit.List',
      logger,
      metrics,
      async (request: ListAuditRequest): Promise<ListAuditResponse> => ({
        entries: await audit.list({
          target: request.target,
          actor: request.actor,
          limit: request.limit,
        }),
      }),
    ),
  };
}
