import type { Registry } from 'prom-client';
import type { MessageBus } from './bus/types.js';
import { defaultInstanceName, type EnvReader, type HostPort } from './env.js';
import type { Logger } from './logger.js';

/** Settings every service process shares, read once at start by `readCommonOptions`. */
export interface CommonOptions {
  /** Name of this process in logs, outcomes and consumer groups. */
  instance: string;
  /** Address of the control plane's gRPC server. Default 127.0.0.1:50050. */
  controlPlane: HostPort;
  /** Host the service's own gRPC and metrics servers bind to. Default 127.0.0.1. */
  bindHost: string;
  /** Folder for local state (journal, caches, delivered mail). Default ./var. */
  stateDir: string;
  /** pino log level, such as debug, info or silent. Default info. */
  logLevel: string;
}

/**
 * Reads the settings every service shares: MAILSHIELD_INSTANCE (default `<service>-<host name>`),
 * MAILSHIELD_CONTROL_PLANE_ADDRESS, MAILSHIELD_BIND_HOST, MAILSHIELD_STATE_DIR and
 * MAILSHIELD_LOG_LEVEL, with the defaults that CommonOptions lists. An invalid control plane
 * address is recorded in `reader`, whose `done()` then throws.
 */
export function readCommonOptions(reader: EnvReader, service: string): CommonOptions {
  return {
    instance: reader.string('MAILSHIELD_INSTANCE', defaultInstanceName(service)),
    controlPlane: reader.address('MAILSHIELD_CONTROL_PLANE_ADDRESS', '127.0.0.1:50050'),
    bindHost: reader.string('MAILSHIELD_BIND_HOST', '127.0.0.1'),
    stateDir: reader.string('MAILSHIELD_STATE_DIR', './var'),
    logLevel: reader.string('MAILSHIELD_LOG_LEVEL', 'info'),
  };
}

/** Handle of a running service, returned to the code that started it. */
export interface RunningService {
  name: string;
  /** Bound ports, by name: grpc, metrics, smtp. */
  ports: Record<string, number>;
  registry: Registry;
  /** Stops accepting work, drains what is in flight, and closes connections. */
  stop(): Promise<void>;
}

/** What a service gets from its process: shared by all services in the one-process run. */
export interface ServiceDeps {
  bus: MessageBus;
  logger: Logger;
}
