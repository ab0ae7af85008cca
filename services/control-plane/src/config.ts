import { readFileSync } from 'node:fs';
import type { SeedSettings } from './policy/seed-check.js';
import { QueueMode } from '@mailshield/proto/message';
import {
  EnvReader,
  parseHostPort,
  readBusOptions,
  readCommonOptions,
  type BusOptions,
  type CommonOptions,
  type HostPort,
} from '@mailshield/common';
import { parseBackupKey } from './backup/backup-key.js';
import type { BackupKey } from './backup/body-codec.js';
import { readIntegritySettings, type IntegritySettings } from './integrity/settings.js';

/** A component that the integrity monitor checks with grpc.health.v1. */
export interface MonitoredComponent {
  /** Name as reported in status, such as "interceptor". */
  name: string;
  address: HostPort;
}

/** Settings of the control plane, read once at start by `readControlPlaneOptions`. */
export interface ControlPlaneOptions extends CommonOptions {
  /** gRPC port (Config, Backup, Integrity, health). Default 50050; 0 picks a free port. */
  grpcPort: number;
  /** Prometheus port; undefined serves no metrics (a host process merges the registry). Default 9100. */
  metricsPort: number | undefined;
  /** PostgreSQL URL; when undefined, the stores are files under `stateDir/control-plane`. */
  databaseUrl: string | undefined;
  /**
   * Key that seals Backup bodies, from MAILSHIELD_BACKUP_KEY_FILE or MAILSHIELD_BACKUP_KEY.
   * Required with PostgreSQL; without it the file store uses a key created in the state folder.
   */
  backupKey: BackupKey | undefined;
  /** PostgreSQL schema holding the tables. Default "public". */
  databaseSchema: string;
  /** Relay domains of the policy seeded into an empty store. Default ["example.com"]. */
  seedRelayDomains: string[];
  /** Queue mode of the seeded policy. Default after-queue. */
  seedQueueMode: QueueMode;
  /** Trusted networks (CIDR) of the seeded policy. Default none. */
  seedTrustedNetworks: string[];
  /** The seed settings that the environment set, to warn when a stored policy overrides them. */
  seedGiven: SeedSettings;
  /** Components checked by the integrity monitor. */
  components: MonitoredComponent[];
  /** Seconds between two health checks of every component. Default 5. */
  healthIntervalSeconds: number;
  /** Deadline of one health check, in seconds. Default 2. */
  healthTimeoutSeconds: number;
  /** Seconds between two reads of the policy store for versions set by another replica. Default 5. */
  policyPollSeconds: number;
  /** The bus that releases are published on: Kafka when MAILSHIELD_KAFKA_BROKERS is set. */
  bus: BusOptions;
  /** Restarts and leader election of the integrity monitor; undefined takes the defaults. */
  integrity?: IntegritySettings;
  /** Limits of Backup that the control plane enforces on a timer. */
  backupRetention: BackupRetentionOptions;
  /**
   * Seconds between two runs of the canary self-test against the "interceptor" component
   * (MAILSHIELD_SELF_TEST_INTERVAL_SECONDS); 0 runs it only on demand. Default 300.
   */
  selfTestIntervalSeconds: number;
  /**
   * Maximum time for each canary of a self-test to get its verdict, in seconds
   * (MAILSHIELD_SELF_TEST_DEADLINE_SECONDS), at most 300. Default 30.
   */
  selfTestDeadlineSeconds: number;
}

/** Backup retention settings; a limit of 0 is off. */
export interface BackupRetentionOptions {
  /** Copies older than this many days are removed (MAILSHIELD_BACKUP_MAX_AGE_DAYS). Default 30. */
  maxAgeDays: number;
  /**
   * The oldest copies are removed while the original messages sum to more than this
   * (MAILSHIELD_BACKUP_MAX_TOTAL_BYTES). Default 10 GiB.
   */
  maxTotalBytes: number;
  /** The oldest copies are removed while there are more (MAILSHIELD_BACKUP_MAX_COUNT). Default 1000000. */
  maxCount: number;
  /** Seconds between two retention runs (MAILSHIELD_BACKUP_RETENTION_INTERVAL_SECONDS). Default 300. */
  intervalSeconds: number;
}

/** Maximum canary deadline, in seconds, because the interceptor's Canary service rejects longer ones. */
export const MAX_SELF_TEST_DEADLINE_SECONDS = 300;

const defaultComponents =
  'interceptor=127.0.0.1:50051,antivirus=127.0.0.1:50052,antispam=127.0.0.1:50053';

/** Reads the control plane's settings; throws ConfigError listing every invalid variable. */
export function readControlPlaneOptions(env: NodeJS.ProcessEnv = process.env): ControlPlaneOptions {
  const reader = new EnvReader(env);
  const options: ControlPlaneOptions = {
    ...readCommonOptions(reader, 'control-plane'),
    grpcPort: reader.integer('MAILSHIELD_CONTROL_PLANE_GRPC_PORT', 50050, 0, 65535),
    metricsPort: reader.integer('MAILSHIELD_CONTROL_PLANE_METRICS_PORT', 9100, 0, 65535),
    databaseUrl: reader.optionalString('MAILSHIELD_DATABASE_URL'),
    backupKey: readBackupKey(reader),
    databaseSchema: reader.string('MAILSHIELD_DATABASE_SCHEMA', 'public'),
    seedRelayDomains: reader.list('MAILSHIELD_RELAY_DOMAINS', ['example.com']),
    seedQueueMode: readQueueMode(reader),
    seedTrustedNetworks: reader.list('MAILSHIELD_TRUSTED_NETWORKS', []),
    seedGiven: { relayDomains: undefined, trustedNetworks: undefined, queueMode: undefined },
    components: parseComponents(reader.string('MAILSHIELD_COMPONENTS', defaultComponents), reader),
    healthIntervalSeconds: reader.number('MAILSHIELD_HEALTH_INTERVAL_SECONDS', 5, 0.05),
    healthTimeoutSeconds: reader.number('MAILSHIELD_HEALTH_TIMEOUT_SECONDS', 2, 0.05),
    policyPollSeconds: reader.number('MAILSHIELD_POLICY_POLL_SECONDS', 5, 0.05),
    bus: { kind: 'journal', dir: '', segmentBytes: 0 },
    backupRetention: readBackupRetention(reader),
    selfTestIntervalSeconds: reader.number('MAILSHIELD_SELF_TEST_INTERVAL_SECONDS', 300, 0),
    selfTestDeadlineSeconds: reader.number('MAILSHIELD_SELF_TEST_DEADLINE_SECONDS', 30, 0.05),
  };
  options.bus = readBusOptions(reader, options.stateDir, options.instance);
  options.seedGiven = {
    relayDomains:
      env['MAILSHIELD_RELAY_DOMAINS'] === undefined ? undefined : options.seedRelayDomains,
    trustedNetworks:
      env['MAILSHIELD_TRUSTED_NETWORKS'] === undefined ? undefined : options.seedTrustedNetworks,
    queueMode: env['MAILSHIELD_QUEUE_MODE'] === undefined ? undefined : options.seedQueueMode,
  };
  options.integrity = readIntegritySettings(
    reader,
    options.components.map((component) => component.name),
    env,
  );
  if (options.selfTestDeadlineSeconds > MAX_SELF_TEST_DEADLINE_SECONDS) {
    reader.problem(
      `MAILSHIELD_SELF_TEST_DEADLINE_SECONDS=${options.selfTestDeadlineSeconds} is invalid: ` +
        `expected at most ${MAX_SELF_TEST_DEADLINE_SECONDS}`,
    );
  }
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.databaseSchema)) {
    reader.problem(
      `MAILSHIELD_DATABASE_SCHEMA=${options.databaseSchema} is invalid: expected a lower-case SQL name`,
    );
  }
  if (options.databaseUrl !== undefined && options.backupKey === undefined) {
    reader.problem(
      'MAILSHIELD_BACKUP_KEY_FILE or MAILSHIELD_BACKUP_KEY is required with MAILSHIELD_DATABASE_URL: ' +
        'every replica must open Backup with the same key (create one with: openssl rand -base64 32)',
    );
  }
  reader.done();
  return Object.freeze(options);
}

function readBackupRetention(reader: EnvReader): BackupRetentionOptions {
  return {
    maxAgeDays: reader.number('MAILSHIELD_BACKUP_MAX_AGE_DAYS', 30, 0),
    maxTotalBytes: reader.integer('MAILSHIELD_BACKUP_MAX_TOTAL_BYTES', 10 * 1024 ** 3, 0),
    maxCount: reader.integer('MAILSHIELD_BACKUP_MAX_COUNT', 1_000_000, 0),
    intervalSeconds: reader.number('MAILSHIELD_BACKUP_RETENTION_INTERVAL_SECONDS', 300, 1),
  };
}

/** Reads the Backup key from a file (such as a mounted Secret) or from the variable itself. */
function readBackupKey(reader: EnvReader): BackupKey | undefined {
  const path = reader.optionalString('MAILSHIELD_BACKUP_KEY_FILE');
  const inline = reader.optionalString('MAILSHIELD_BACKUP_KEY');
  if (path !== undefined && inline !== undefined) {
    reader.problem('MAILSHIELD_BACKUP_KEY_FILE and MAILSHIELD_BACKUP_KEY are both set: set one');
    return undefined;
  }
  let text = inline;
  let source = 'MAILSHIELD_BACKUP_KEY';
  if (path !== undefined) {
    source = `MAILSHIELD_BACKUP_KEY_FILE=${path}`;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      reader.problem(`${source} cannot be read: ${(err as Error).message}`);
      return undefined;
    }
  }
  if (text === undefined) return undefined;
  const key = parseBackupKey(text);
  if (typeof key !== 'string') return key;
  reader.problem(`${source} is invalid: ${key}`);
  return undefined;
}

function readQueueMode(reader: EnvReader): QueueMode {
  const raw = reader.string('MAILSHIELD_QUEUE_MODE', 'after-queue');
  if (raw === 'after-queue') return QueueMode.QUEUE_MODE_AFTER_QUEUE;
  if (raw === 'before-queue') return QueueMode.QUEUE_MODE_BEFORE_QUEUE;
  reader.problem(`MAILSHIELD_QUEUE_MODE=${raw} is invalid: expected after-queue or before-queue`);
  return QueueMode.QUEUE_MODE_AFTER_QUEUE;
}

/** Parses `name=host:port,...`; an empty text means no components. */
export function parseComponents(text: string, reader: EnvReader): MonitoredComponent[] {
  const components: MonitoredComponent[] = [];
  for (const item of text.split(',').map((part) => part.trim())) {
    if (item === '') continue;
    const equals = item.indexOf('=');
    const name = item.slice(0, equals).trim();
    const address = equals > 0 ? parseHostPort(item.slice(equals + 1)) : undefined;
    if (name === '' || address === undefined) {
      reader.problem(
        `MAILSHIELD_COMPONENTS item ${JSON.stringify(item)} is invalid: expected name=host:port`,
      );
      continue;
    }
    components.push({ name, address });
  }
  return components;
}

/** Defaults of the `mailshieldctl` command line, from the environment. */
export interface CliDefaults {
  /** Control plane address. Default MAILSHIELD_CONTROL_PLANE_ADDRESS or 127.0.0.1:50050. */
  address: string;
}

export function readCliDefaults(env: NodeJS.ProcessEnv = process.env): CliDefaults {
  return {
    address: new EnvReader(env).string('MAILSHIELD_CONTROL_PLANE_ADDRESS', '127.0.0.1:50050'),
  };
}
