import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  EnvReader,
  parseHostPort,
  readBusOptions,
  readCommonOptions,
  type BusOptions,
  type CommonOptions,
  type HostPort,
} from '@mailshield/common';

/** One clamd to scan with. */
export interface ClamdEndpointOptions {
  address: HostPort;
  /** True when this clamd can read the scan store folder, so objects go by path (SCAN). */
  sharesStore: boolean;
}

/**
 * Settings of the antivirus service. Policy (actions, limits, attachment rules, scan timeout)
 * comes from the control plane.
 */
export interface AntivirusOptions extends CommonOptions {
  /**
   * clamd endpoints, comma-separated host:port. Env MAILSHIELD_CLAMD_ADDRESS, default
   * 127.0.0.1:3310.
   */
  clamd: ClamdEndpointOptions[];
  /** gRPC port (Antivirus, health). Env MAILSHIELD_ANTIVIRUS_GRPC_PORT, default 50052; 0 picks one. */
  grpcPort: number;
  /** Metrics port. Env MAILSHIELD_ANTIVIRUS_METRICS_PORT, default 9102; 0 picks one. */
  metricsPort: number;
  /** Scans in flight to each clamd endpoint. Env MAILSHIELD_ANTIVIRUS_MAX_SCANS, default 8. */
  maxScansPerEndpoint: number;
  /** Messages of one batch processed at once. Env MAILSHIELD_ANTIVIRUS_CONCURRENCY, default 4. */
  messageConcurrency: number;
  /** Seconds between clamd health checks. Env MAILSHIELD_ANTIVIRUS_HEALTH_INTERVAL_SECONDS, default 5. */
  healthIntervalSeconds: number;
  /**
   * Folder of the scan store, ideally RAM-backed. Env MAILSHIELD_ANTIVIRUS_STORE_DIR, default
   * /dev/shm/mailshield-antivirus where /dev/shm exists, else <state dir>/antivirus/store.
   */
  storeDir: string;
  /** Bytes the scan store may hold. Env MAILSHIELD_ANTIVIRUS_STORE_MAX_BYTES, default 256 MiB. */
  storeMaxBytes: number;
  /**
   * Whether clamd reads objects from the store by path. Env MAILSHIELD_CLAMD_SHARES_STORE:
   * true, false, or auto (the default), which means true when every endpoint is on loopback.
   */
  clamdSharesStore: boolean;
  /** Scan results kept by content hash. Env MAILSHIELD_ANTIVIRUS_CACHE_ENTRIES, default 100000; 0 disables. */
  cacheEntries: number;
  /**
   * Signature age above which the service reports itself degraded, in hours.
   * Env MAILSHIELD_ANTIVIRUS_SIGNATURE_MAX_AGE_HOURS, default 48.
   */
  signatureMaxAgeHours: number;
  /** Message bus: Kafka when MAILSHIELD_KAFKA_BROKERS is set, else the journal under the state dir. */
  bus: BusOptions;
}

/** Reads the options from the environment; throws ConfigError listing every invalid value. */
export function readAntivirusOptions(env: NodeJS.ProcessEnv = process.env): AntivirusOptions {
  const reader = new EnvReader(env);
  const common = readCommonOptions(reader, 'antivirus');
  const addresses = readClamdAddresses(reader);
  const sharesStore = readSharesStore(reader, addresses);
  const options: AntivirusOptions = {
    ...common,
    clamd: addresses.map((address) => ({ address, sharesStore })),
    grpcPort: reader.integer('MAILSHIELD_ANTIVIRUS_GRPC_PORT', 50052, 0, 65535),
    metricsPort: reader.integer('MAILSHIELD_ANTIVIRUS_METRICS_PORT', 9102, 0, 65535),
    maxScansPerEndpoint: reader.integer('MAILSHIELD_ANTIVIRUS_MAX_SCANS', 8, 1, 1024),
    messageConcurrency: reader.integer('MAILSHIELD_ANTIVIRUS_CONCURRENCY', 4, 1, 256),
    healthIntervalSeconds: reader.number('MAILSHIELD_ANTIVIRUS_HEALTH_INTERVAL_SECONDS', 5, 0.1),
    storeDir: reader.string('MAILSHIELD_ANTIVIRUS_STORE_DIR', defaultStoreDir(common.stateDir)),
    storeMaxBytes: reader.integer(
      'MAILSHIELD_ANTIVIRUS_STORE_MAX_BYTES',
      256 * 1024 * 1024,
      1024 * 1024,
    ),
    clamdSharesStore: sharesStore,
    cacheEntries: reader.integer('MAILSHIELD_ANTIVIRUS_CACHE_ENTRIES', 100_000, 0, 10_000_000),
    signatureMaxAgeHours: reader.number('MAILSHIELD_ANTIVIRUS_SIGNATURE_MAX_AGE_HOURS', 48, 1),
    bus: readBusOptions(reader, common.stateDir, 'mailshield-antivirus'),
  };
  reader.done();
  return Object.freeze(options);
}

/** Reads the comma-separated clamd endpoints of MAILSHIELD_CLAMD_ADDRESS, noting each invalid one. */
export function readClamdAddresses(reader: EnvReader): HostPort[] {
  const name = 'MAILSHIELD_CLAMD_ADDRESS';
  const items = reader.list(name, ['127.0.0.1:3310']);
  const addresses: HostPort[] = [];
  for (const item of items) {
    const address = parseHostPort(item);
    if (address === undefined) reader.problem(`${name}: "${item}" is invalid: expected host:port`);
    else addresses.push(address);
  }
  if (items.length === 0) reader.problem(`${name} is empty: give at least one clamd host:port`);
  return addresses;
}

function readSharesStore(reader: EnvReader, addresses: HostPort[]): boolean {
  const name = 'MAILSHIELD_CLAMD_SHARES_STORE';
  const raw = reader.string(name, 'auto').toLowerCase();
  if (raw === 'auto') return addresses.every((address) => isLoopback(address.host));
  return reader.boolean(name, false);
}

/** True for localhost and the IPv4 and IPv6 loopback addresses. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function defaultStoreDir(stateDir: string): string {
  return existsSync('/dev/shm')
    ? '/dev/shm/mailshield-antivirus'
    : join(stateDir, 'antivirus', 'store');
}
