import {
  EnvReader,
  readBusOptions,
  readCommonOptions,
  type BusOptions,
  type CommonOptions,
} from '@mailshield/common';

/** Settings of the antispam service, read once at start. Runtime policy comes from the control plane. */
export interface AntispamOptions extends CommonOptions {
  /** gRPC port for Antispam.ScoreMessage and health; 0 picks a free port. Default 50053. */
  grpcPort: number;
  /** Port of the Prometheus /metrics endpoint; 0 picks a free port. Default 9103. */
  metricsPort: number;
  /** Messages of one batch scored at the same time. Default 8. */
  concurrency: number;
  /** Deadline for all checks of one message, in seconds. Default 10. */
  scanTimeoutSeconds: number;
  /** Deadline of each Backup.Store call, in seconds. Default 10. */
  backupTimeoutSeconds: number;
}

/** Everything the antispam process reads from its environment. */
export interface AntispamConfig {
  options: AntispamOptions;
  /** Kafka when MAILSHIELD_KAFKA_BROKERS is set, else the on-disk journal under the state dir. */
  bus: BusOptions;
}

/**
 * Reads the antispam settings from the environment. Throws ConfigError listing every invalid
 * variable at once.
 */
export function readAntispamConfig(env: NodeJS.ProcessEnv = process.env): AntispamConfig {
  const reader = new EnvReader(env);
  const options: AntispamOptions = {
    ...readCommonOptions(reader, 'antispam'),
    grpcPort: reader.integer('MAILSHIELD_ANTISPAM_GRPC_PORT', 50053, 0, 65535),
    metricsPort: reader.integer('MAILSHIELD_ANTISPAM_METRICS_PORT', 9103, 0, 65535),
    concurrency: reader.integer('MAILSHIELD_ANTISPAM_CONCURRENCY', 8, 1, 1024),
    scanTimeoutSeconds: reader.number('MAILSHIELD_ANTISPAM_SCAN_TIMEOUT_SECONDS', 10, 0.001),
    backupTimeoutSeconds: reader.number('MAILSHIELD_BACKUP_TIMEOUT_SECONDS', 10, 0.001),
  };
  const bus = readBusOptions(reader, options.stateDir, options.instance);
  reader.done();
  return { options: Object.freeze(options), bus };
}
