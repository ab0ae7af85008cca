import {
  EnvReader,
  readBusOptions,
  readCommonOptions,
  type BusOptions,
  type CommonOptions,
} from '@mailshield/common';
import { parseNameServer } from './dns/resolver.js';

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
  /**
   * Name servers of the DNS checks as `host:port` (an IP address as host). Empty uses the
   * system's resolver settings. Default empty.
   */
  dnsServers?: string[];
  /** Deadline of one DNS lookup, in seconds. Default 2. */
  dnsTimeoutSeconds?: number;
  /**
   * Runs SPF, DKIM, DMARC and ARC verification. Default: on when dnsServers is set, else off,
   * so that a gateway started without DNS settings sends no authentication lookups.
   */
  authentication?: boolean;
  /** Seconds between two polls of the control plane for a new Bayes model. Default 10. */
  modelRefreshSeconds?: number;
  /** Deadline of each Learning.Learn and Learning.GetModel call, in seconds. Default 10. */
  learningTimeoutSeconds?: number;
  /** Spam messages the shared Bayes model must hold before it classifies. Default 200. */
  bayesMinSpamMessages?: number;
  /** Ham messages the shared Bayes model must hold before it classifies. Default 200. */
  bayesMinHamMessages?: number;
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
    ...readDnsOptions(reader),
    ...readLearningOptions(reader),
  };
  const bus = readBusOptions(reader, options.stateDir, options.instance);
  reader.done();
  return { options: Object.freeze(options), bus };
}

function readDnsOptions(
  reader: EnvReader,
): Pick<AntispamOptions, 'dnsServers' | 'dnsTimeoutSeconds' | 'authentication'> {
  const dnsServers: string[] = [];
  for (const item of reader.list('MAILSHIELD_DNS_SERVERS', [])) {
    const server = parseNameServer(item);
    if (server === undefined) {
      reader.problem(
        `MAILSHIELD_DNS_SERVERS item ${item} is invalid: expected an IP address with an optional port, such as 127.0.0.1:53 or [::1]:53`,
      );
    } else dnsServers.push(server);
  }
  return {
    dnsServers,
    dnsTimeoutSeconds: reader.number('MAILSHIELD_DNS_TIMEOUT_SECONDS', 2, 0.001),
    authentication: reader.boolean('MAILSHIELD_ANTISPAM_AUTHENTICATION', dnsServers.length > 0),
  };
}

function readLearningOptions(
  reader: EnvReader,
): Pick<
  AntispamOptions,
  'modelRefreshSeconds' | 'learningTimeoutSeconds' | 'bayesMinSpamMessages' | 'bayesMinHamMessages'
> {
  return {
    modelRefreshSeconds: reader.number('MAILSHIELD_ANTISPAM_MODEL_REFRESH_SECONDS', 10, 0.05),
    learningTimeoutSeconds: reader.number(
      'MAILSHIELD_ANTISPAM_LEARNING_TIMEOUT_SECONDS',
      10,
      0.001,
    ),
    bayesMinSpamMessages: reader.integer('MAILSHIELD_ANTISPAM_BAYES_MIN_SPAM', 200, 1),
    bayesMinHamMessages: reader.integer('MAILSHIELD_ANTISPAM_BAYES_MIN_HAM', 200, 1),
  };
}
