import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { unary, type Logger } from '@mailshield/common';
import type { InjectRequest, InjectResponse } from '@mailshield/proto/canary';
import type { CanaryInjector } from '../handlers/canary.js';

/** The Canary service of the interceptor's gRPC server, called by the control plane's self-test. */
export function canaryService(
  injector: CanaryInjector,
  logger: Logger,
): UntypedServiceImplementation {
  return {
    inject: unary(logger, (request: InjectRequest): Promise<InjectResponse> =>
      injector.inject(request.kind, request.deadlineSeconds),
    ),
  };
}
