import { status as GrpcStatus, type Metadata } from '@grpc/grpc-js';
import { context } from '@opentelemetry/api';
import { getTracer, MailshieldError, unary, withSpan, type Logger } from '@mailshield/common';
import type { ControlPlaneMetrics } from '../metrics.js';

/** Returns the name of the gRPC status that an error is sent as, such as NOT_FOUND. */
export function statusNameOf(err: unknown): string {
  const code = err instanceof MailshieldError ? err.grpcStatus : GrpcStatus.INTERNAL;
  return GrpcStatus[code] ?? 'UNKNOWN';
}

const tracer = getTracer('control-plane');

/**
 * Wraps a unary handler in a span named after the method, in the caller's trace, so errors are
 * counted by method and sent as a gRPC status.
 */
export function countedUnary<Req, Res>(
  method: string,
  logger: Logger,
  metrics: ControlPlaneMetrics,
  handler: (request: Req, metadata: Metadata) => Promise<Res>,
): ReturnType<typeof unary<Req, Res>> {
  return unary(logger, async (request: Req, metadata: Metadata) => {
    try {
      return await withSpan(tracer, `control-plane.${method}`, context.active(), () =>
        handler(request, metadata),
      );
    } catch (err) {
      metrics.grpcErrors.inc({ method, code: statusNameOf(err) });
      throw err;
    }
  });
}
