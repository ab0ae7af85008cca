import {
  EnvReader,
  readBusOptions,
  readCommonOptions,
  type BusOptions,
  type CommonOptions,
  type HostPort,
} from '@mailshield/common';

/** Settings of the antivirus service. Policy (actions, scan timeout) comes from the control plane. */
export interface AntivirusOptions extends CommonOptions {
  /** clamd TCP address. Env MAILSHIELD_CLAMD_ADDRESS, default 127.0.0.1:3310. */
  clamd: HostPort;
  /** gRPC port (Antivirus, health). Env MAILSHIELD_ANTIVIRUS_GRPC_PORT, default 50052; 0 picks one. */
  grpcPort: number;
  /** Metrics port. Env MAILSHIELD_ANTIVIRUS_METRICS_PORT, default 9102; 0 picks one. */
  metricsPort: number;
  /** Scans in flight to clamd at once. Env MAILSHIELD_ANTIVIRUS_MAX_SCANS, default 8. */
  maxScansInFlight: number;
  /** Messages of one batch processed at once. Env MAILSHIELD_ANTIVIRUS_CONCURRENCY, default 4. */
  messageConcurrency: number;
  /** MIME nesting limit. Env MAILSHIELD_ANTIVIRUS_MAX_MIME_DEPTH, default 20. */
  maxMimeDepth: number;
  /** Objects scanned per message. Env MAILSHIELD_ANTIVIRUS_MAX_OBJECTS, default 500. */
  maxObjects: number;
  /** Largest object sent to clamd. Env MAILSHIELD_ANTIVIRUS_MAX_OBJECT_BYTES, default 64 MiB. */
  maxObjectBytes: number;
  /** Seconds between clamd health checks. Env MAILSHIELD_ANTIVIRUS_HEALTH_INTERVAL_SECONDS, default 5. */
  healthIntervalSeconds: number;
  /** Message bus: Kafka when MAILSHIELD_KAFKA_BROKERS is set, else the journal under the state dir. */
  bus: BusOptions;
}

/** Reads the options from the environment; throws ConfigError listing every invalid value. */
export function readAntivirusOptions(env: NodeJS.ProcessEnv = process.env): AntivirusOptions {
  const reader = new EnvReader(env);
  const common = readCommonOptions(reader, 'antivirus');
  const options: AntivirusOptions = {
    ...common,
    clamd: reader.address('MAILSHIELD_CLAMD_ADDRESS', '127.0.0.1:3310'),
    grpcPort: reader.integer('MAILSHIELD_ANTIVIRUS_GRPC_PORT', 50052, 0, 65535),
    metricsPort: reader.integer('MAILSHIELD_ANTIVIRUS_METRICS_PORT', 9102, 0, 65535),
    maxScansInFlight: reader.integer('MAILSHIELD_ANTIVIRUS_MAX_SCANS', 8, 1, 1024),
    messageConcurrency: reader.integer('MAILSHIELD_ANTIVIRUS_CONCURRENCY', 4, 1, 256),
    maxMimeDepth: reader.integer('MAILSHIELD_ANTIVIRUS_MAX_MIME_DEPTH', 20, 1, 1000),
    maxObjects: reader.integer('MAILSHIELD_ANTIVIRUS_MAX_OBJECTS', 500, 1, 100_000),
    maxObjectBytes: reader.integer('MAILSHIELD_ANTIVIRUS_MAX_OBJECT_BYTES', 64 * 1024 * 1024, 1),
    healthIntervalSeconds: reader.number('MAILSHIELD_ANTIVIRUS_HEALTH_INTERVAL_SECONDS', 5, 0.1),
    bus: readBusOptions(reader, common.stateDir, 'mailshield-antivirus'),
  };
  reader.done();
  return Object.freeze(options);
}
