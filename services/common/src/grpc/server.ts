import {
  Metadata,
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type handleServerStreamingCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type ServiceError,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { context } from '@opentelemetry/api';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import { MailshieldError, InvalidArgumentError } from '../errors.js';
import type { Logger } from '../logger.js';
import { contextFromMetadata } from './client.js';

/** A gRPC server with `grpc.health.v1` registered; health starts NOT_SERVING. */
export interface GrpcServerHandle {
  server: Server;
  port: number;
  /** Sets the overall health ('') and the health of each named service. */
  setHealth(status: ServingStatus, services?: string[]): void;
  /** Sets the health of one named service only, leaving the overall health as it is. */
  setServiceHealth(service: string, status: ServingStatus): void;
  stop(): Promise<void>;
}

/**
 * Health service name of the degraded marker: NOT_SERVING while a serving component works
 * with a problem that needs attention, such as stale antivirus signatures.
 */
export const DEGRADED_HEALTH_SERVICE = 'mailshield.degraded';

export async function startGrpcServer(
  host: string,
  port: number,
  services: { definition: ServiceDefinition; implementation: UntypedServiceImplementation }[],
  logger: Logger,
): Promise<GrpcServerHandle> {
  const server = new Server({
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  });
  const health = new HealthImplementation({ '': 'NOT_SERVING' });
  const watchCalls = addHealthService(server, health);
  for (const service of services) server.addService(service.definition, service.implementation);
  const boundPort = await new Promise<number>((resolve, reject) => {
    const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    server.bindAsync(target, ServerCredentials.createInsecure(), (err, bound) =>
      err === null ? resolve(bound) : reject(err),
    );
  });
  logger.info({ event: 'grpc.listening', host, port: boundPort }, 'gRPC server listening');
  return {
    server,
    port: boundPort,
    setHealth(status, names = []) {
      health.setStatus('', status);
      for (const name of names) health.setStatus(name, status);
    },
    setServiceHealth(service, status) {
      health.setStatus(service, status);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        health.setStatus('', 'NOT_SERVING');
        // A graceful shutdown waits for open calls, and a Watch stream stays open until its
        // client leaves, so each one is ended here after it sent NOT_SERVING.
        for (const call of watchCalls) call.end();
        const timer = setTimeout(() => server.forceShutdown(), 5000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/**
 * Registers grpc.health.v1 on `server` and returns the set of open Watch calls, which the
 * health library does not expose, so that a stopping server can end them.
 */
function addHealthService(server: Server, health: HealthImplementation): Set<{ end(): void }> {
  const calls = new Set<ServerWritableStream<unknown, unknown>>();
  health.addToServer({
    addService(definition: ServiceDefinition, implementation: UntypedServiceImplementation) {
      const watch = implementation['watch'] as handleServerStreamingCall<unknown, unknown>;
      server.addService(definition, {
        ...implementation,
        watch: (call: ServerWritableStream<unknown, unknown>) => {
          calls.add(call);
          const forget = () => calls.delete(call);
          call.on('cancelled', forget);
          call.on('finish', forget);
          watch(call);
        },
      });
    },
  } as unknown as Server);
  return calls;
}

/**
 * Converts an error thrown by domain code into a gRPC error with a status and details.
 * Unknown errors become INTERNAL and are logged with their stack.
 */
export function toServiceError(err: unknown, logger: Logger): Partial<ServiceError> {
  const metadata = new Metadata();
  if (err instanceof MailshieldError) {
    metadata.set('mailshield-error-code', err.code);
    if (err instanceof InvalidArgumentError) {
      for (const fieldError of err.fieldErrors) {
        metadata.add('mailshield-field-error', fieldError);
        // HTTP/2 joins repeated text headers with ", ", which is ambiguous for messages that
        // contain commas; each binary value stays separate because base64 has no comma.
        metadata.add('mailshield-field-error-bin', Buffer.from(fieldError, 'utf8'));
      }
    }
    return { code: err.grpcStatus, details: err.message, metadata };
  }
  logger.error({ err, event: 'grpc.internal_error' }, 'unexpected error in a gRPC handler');
  return { code: GrpcStatus.INTERNAL, details: 'internal error; see the server log', metadata };
}

/**
 * Adapts an async handler to grpc-js's unary callback style, so every path replies exactly
 * once and errors are translated by `toServiceError`. The handler runs in the trace context
 * the caller sent in its metadata, so its spans join the caller's trace.
 */
export function unary<Req, Res>(
  logger: Logger,
  handler: (request: Req, metadata: Metadata) => Promise<Res>,
): (
  call: { request: Req; metadata: Metadata },
  callback: (err: Partial<ServiceError> | null, value?: Res) => void,
) => void {
  return (call, callback) => {
    const parent = contextFromMetadata(call.metadata);
    context
      .with(parent, () => handler(call.request, call.metadata))
      .then(
        (value) => callback(null, value),
        (err: unknown) => callback(toServiceError(err, logger)),
      );
  };
}
