import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import {
  BackupClient,
  ListBackupsRequest,
  type BackupEntry,
  type BackupSummary,
} from '@mailshield/proto/backup';
import { ConfigClient } from '@mailshield/proto/config';
import type { Policy } from '@mailshield/proto/policy';
import { freePort, ServiceProcess } from './processes.js';
import { SmtpSink } from './smtp-sink.js';

export type PipelineMode = 'kafka' | 'embedded';

/**
 * The whole gateway for an end-to-end test: either four service processes on Kafka and
 * PostgreSQL, or the one-process gateway on the on-disk journal and file store, with an SMTP
 * sink as the next hop.
 */
export class Pipeline {
  readonly sink = new SmtpSink();
  readonly processes = new Map<string, ServiceProcess>();
  smtpPort = 0;
  controlPlanePort = 0;
  /** gRPC ports of the interceptor, antivirus and antispam. */
  grpcPorts = { interceptor: 0, antivirus: 0, antispam: 0 };
  /** Ports of each service's Prometheus /metrics endpoint. */
  metricsPorts = { 'control-plane': 0, interceptor: 0, antivirus: 0, antispam: 0 };
  stateDir = '';
  /** Scan store folder of the antivirus; the store of each instance is a folder inside it. */
  get storeDir(): string {
    return join(this.stateDir, 'antivirus-store');
  }
  private config: ConfigClient | undefined;
  private backup: BackupClient | undefined;

  constructor(
    readonly mode: PipelineMode,
    private readonly extraEnv: Record<string, string> = {},
  ) {}

  async start(): Promise<void> {
    this.stateDir = await mkdtemp(join(tmpdir(), `mailshield-e2e-${this.mode}-`));
    const sinkPort = await this.sink.start();
    this.smtpPort = await freePort();
    this.controlPlanePort = await freePort();
    const ports = {
      interceptor: await freePort(),
      antivirus: await freePort(),
      antispam: await freePort(),
    };
    this.grpcPorts = ports;
    this.metricsPorts = {
      'control-plane': await freePort(),
      interceptor: await freePort(),
      antivirus: await freePort(),
      antispam: await freePort(),
    };
    const common: Record<string, string> = {
      MAILSHIELD_LOG_LEVEL: 'info',
      MAILSHIELD_CONTROL_PLANE_ADDRESS: `127.0.0.1:${this.controlPlanePort}`,
      MAILSHIELD_CONTROL_PLANE_GRPC_PORT: String(this.controlPlanePort),
      MAILSHIELD_INTERCEPTOR_GRPC_PORT: String(ports.interceptor),
      MAILSHIELD_ANTIVIRUS_GRPC_PORT: String(ports.antivirus),
      MAILSHIELD_ANTISPAM_GRPC_PORT: String(ports.antispam),
      MAILSHIELD_CONTROL_PLANE_METRICS_PORT: String(this.metricsPorts['control-plane']),
      MAILSHIELD_INTERCEPTOR_METRICS_PORT: String(this.metricsPorts.interceptor),
      MAILSHIELD_ANTIVIRUS_METRICS_PORT: String(this.metricsPorts.antivirus),
      MAILSHIELD_ANTISPAM_METRICS_PORT: String(this.metricsPorts.antispam),
      MAILSHIELD_SMTP_PORT: String(this.smtpPort),
      MAILSHIELD_NEXT_HOP: `127.0.0.1:${sinkPort}`,
      MAILSHIELD_COMPONENTS: `interceptor=127.0.0.1:${ports.interceptor},antivirus=127.0.0.1:${ports.antivirus},antispam=127.0.0.1:${ports.antispam}`,
      MAILSHIELD_RELAY_DOMAINS: 'example.com',
      MAILSHIELD_ANTIVIRUS_STORE_DIR: this.storeDir,
      // No scheduled canaries unless a test sets this, so they never mix with its mail.
      MAILSHIELD_SELF_TEST_INTERVAL_SECONDS: '0',
      ...this.extraEnv,
    };
    if (this.mode === 'embedded') {
      const env = {
        ...common,
        MAILSHIELD_STATE_DIR: this.stateDir,
        MAILSHIELD_KAFKA_BROKERS: '',
        MAILSHIELD_DATABASE_URL: '',
      };
      this.add('gateway', 'services/gateway/dist/main.js', env, ports.interceptor);
    } else {
      requireEnv('MAILSHIELD_KAFKA_BROKERS');
      requireEnv('MAILSHIELD_DATABASE_URL');
      // A schema of its own keeps the policy and Backup of earlier runs out of this one.
      const schema = `e2e_${randomBytes(6).toString('hex')}`;
      const backupKey = randomBytes(32).toString('base64');
      const env = (name: string) => ({
        ...common,
        MAILSHIELD_STATE_DIR: join(this.stateDir, name),
        MAILSHIELD_DATABASE_SCHEMA: schema,
        MAILSHIELD_BACKUP_KEY: backupKey,
        // Blanks a key file that deploy/local/env.sh names, since only one key may be given.
        MAILSHIELD_BACKUP_KEY_FILE: '',
      });
      this.add(
        'control-plane',
        'services/control-plane/dist/main.js',
        env('control-plane'),
        this.controlPlanePort,
      );
      this.add('antivirus', 'services/antivirus/dist/main.js', env('antivirus'), ports.antivirus);
      this.add('antispam', 'services/antispam/dist/main.js', env('antispam'), ports.antispam);
      this.add(
        'interceptor',
        'services/interceptor/dist/main.js',
        env('interceptor'),
        ports.interceptor,
      );
    }
    for (const service of this.processes.values()) await service.start();
    this.config = new ConfigClient(
      `127.0.0.1:${this.controlPlanePort}`,
      credentials.createInsecure(),
    );
    this.backup = new BackupClient(
      `127.0.0.1:${this.controlPlanePort}`,
      credentials.createInsecure(),
    );
  }

  private add(name: string, entry: string, env: Record<string, string>, grpcPort: number): void {
    this.processes.set(name, new ServiceProcess(name, entry, env, this.stateDir, grpcPort));
  }

  process(name: string): ServiceProcess {
    const service = this.processes.get(name);
    if (service === undefined) throw new Error(`no process named ${name} in ${this.mode} mode`);
    return service;
  }

  async stop(): Promise<void> {
    this.config?.close();
    this.backup?.close();
    for (const service of [...this.processes.values()].reverse()) await service.stop('SIGTERM');
    await this.sink.stop();
    // The state folder contains the service logs, and MAILSHIELD_KEEP_TEST_STATE keeps it to read them.
    if ((process.env['MAILSHIELD_KEEP_TEST_STATE'] ?? '') === '') {
      await rm(this.stateDir, { recursive: true, force: true });
    }
  }

  getPolicy(): Promise<Policy> {
    return new Promise((resolve, reject) =>
      this.config!.get({}, (err: ServiceError | null, policy: Policy) =>
        err ? reject(err) : resolve(policy),
      ),
    );
  }

  /** Reads the policy, lets `change` edit it, and stores it; returns the stored version. */
  async updatePolicy(change: (policy: Policy) => void): Promise<Policy> {
    const policy = await this.getPolicy();
    change(policy);
    return new Promise((resolve, reject) =>
      this.config!.set(
        { policy, expectedVersion: policy.version, actor: 'e2e-test' },
        (err: ServiceError | null, stored: Policy) => (err ? reject(err) : resolve(stored)),
      ),
    );
  }

  /** Lists every backed-up message, following the pages. */
  async listBackups(): Promise<BackupSummary[]> {
    const all: BackupSummary[] = [];
    let pageToken = '';
    do {
      const page = await new Promise<{ entries: BackupSummary[]; nextPageToken: string }>(
        (resolve, reject) =>
          this.backup!.list(
            ListBackupsRequest.fromPartial({ limit: 500, pageToken }),
            (err, response) => (err ? reject(err) : resolve(response)),
          ),
      );
      all.push(...page.entries);
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    return all;
  }

  /** Fetches the Prometheus text of one service's /metrics endpoint. */
  async metrics(service: keyof Pipeline['metricsPorts']): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${this.metricsPorts[service]}/metrics`);
    if (!response.ok)
      throw new Error(`GET /metrics of ${service} failed with HTTP ${response.status}`);
    return response.text();
  }

  getBackup(id: string): Promise<BackupEntry> {
    return new Promise((resolve, reject) =>
      this.backup!.get({ id, actor: 'e2e-test' }, (err, entry) =>
        err ? reject(err) : resolve(entry),
      ),
    );
  }

  releaseBackup(id: string, recipients: string[] = []): Promise<void> {
    return new Promise((resolve, reject) =>
      this.backup!.release({ id, recipients, actor: 'e2e-test', notSpam: false }, (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }
}

function requireEnv(name: string): void {
  if ((process.env[name] ?? '') === '') {
    throw new Error(
      `${name} is not set: start the real parts with 'make parts' and source deploy/local/env.sh`,
    );
  }
}

/** Polls `check` until it returns true or the timeout passes; returns the last result. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 250,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return check();
}
