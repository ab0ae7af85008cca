import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { unary, type Logger } from '@mailshield/common';
import type { InjectRequest, InjectResponse } from '@mailshield/proto/canary';
import type { CanaryInjector } from '../handlers/canary.js';

/** Builds the Canary service of the interceptor's gRPC server, which the control plane's self-test calls. */
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
