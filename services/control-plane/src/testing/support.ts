import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createLogger } from '@mailshield/common';
import {
  Disposition,
  QueueMode,
  RecordKind,
  Stage,
  type MessageRecord,
  type StageOutcome,
} from '@mailshield/proto/message';
import type { ControlPlaneOptions } from '../config.js';
import { openDatabase, type Database } from '../storage/postgres.js';
import { BackupKey } from '../backup/body-codec.js';

export const silentLogger = createLogger('control-plane-test', 'silent');

/** A fixed Backup key for store tests. */
export const testBackupKey = new BackupKey(Buffer.alloc(32, 7));

export async function makeTempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mailshield-cp-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * The PostgreSQL URL for tests, or undefined when the test should be skipped. Under CI=true
 * a missing URL is an error, so a CI run cannot pass without testing PostgreSQL.
 */
export function databaseUrlForTest(): string | undefined {
  const url = process.env['MAILSHIELD_DATABASE_URL'];
  if (url !== undefined && url !== '') return url;
  if (process.env['CI'] === 'true')
    throw new Error(
      'MAILSHIELD_DATABASE_URL is not set; start PostgreSQL with deploy/local/postgres.sh',
    );
  return undefined;
}

/** A schema name unique to this test run; the returned function drops it. */
export function uniqueSchema(url: string): { schema: string; drop: () => Promise<void> } {
  const schema = `cp_test_${randomBytes(6).toString('hex')}`;
  return {
    schema,
    drop: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

export function makeRecord(id: string, subject = 'Quarterly report'): MessageRecord {
  const raw = Buffer.from(`From: alice@example.org\r\nSubject: ${subject}\r\n\r\nHello.\r\n`);
  return {
    id,
    kind: RecordKind.RECORD_KIND_MESSAGE,
    envelope: {
      clientAddress: '192.0.2.10',
      clientHostname: '',
      helo: 'mx.example.org',
      mailFrom: 'alice@example.org',
      rcptTo: ['bob@example.com', 'carol@example.com'],
      receivedAt: new Date('2024-05-01T10:00:00Z'),
      tls: false,
      outbound: false,
    },
    raw,
    outcomes: [makeOutcome('infected', 'delete_message')],
    traceContext: {},
    queueMode: QueueMode.QUEUE_MODE_AFTER_QUEUE,
    disposition: Disposition.DISPOSITION_DELIVER,
    sessionInstance: 'interceptor-test',
    reply: '',
    deliverTo: [],
    deliveryAttempts: 0,
    deliverAfter: undefined,
    deliveryKey: '',
  };
}

export function makeOutcome(status: string, action: string): StageOutcome {
  return {
    stage: Stage.STAGE_ANTIVIRUS,
    scanner: 'clamd',
    status,
    action,
    reason: '',
    durationSeconds: 0.01,
    policyVersion: 1,
    findings: [{ name: 'Eicar-Test-Signature', object: 'message', score: 0, detail: '' }],
    score: 0,
    at: new Date('2024-05-01T10:00:01Z'),
    traceId: '',
    instance: 'antivirus-test',
  };
}

/** Options of a control plane on free loopback ports with files under `stateDir`. */
export function testOptions(
  stateDir: string,
  overrides: Partial<ControlPlaneOptions> = {},
): ControlPlaneOptions {
  return {
    instance: 'control-plane-test',
    controlPlane: { host: '127.0.0.1', port: 0 },
    bindHost: '127.0.0.1',
    stateDir,
    logLevel: 'silent',
    grpcPort: 0,
    metricsPort: undefined,
    databaseUrl: undefined,
    backupKey: undefined,
    databaseSchema: 'public',
    seedRelayDomains: ['example.com'],
    seedQueueMode: QueueMode.QUEUE_MODE_AFTER_QUEUE,
    seedTrustedNetworks: [],
    seedGiven: { relayDomains: undefined, trustedNetworks: undefined, queueMode: undefined },
    components: [],
    healthIntervalSeconds: 60,
    healthTimeoutSeconds: 2,
    policyPollSeconds: 60,
    bus: { kind: 'journal', dir: join(stateDir, 'journal'), segmentBytes: 1 << 20 },
    backupRetention: { maxAgeDays: 0, maxTotalBytes: 0, maxCount: 0, intervalSeconds: 3600 },
    selfTestIntervalSeconds: 0,
    selfTestDeadlineSeconds: 30,
    ...overrides,
  };
}

/** Opens a session on a fresh schema of `url`, closed and dropped after the test. */
export function openTestDatabase(
  t: { after(fn: () => Promise<void>): void },
  url: string,
): Database {
  return openSessions(t, url, 1)[0]!;
}

/**
 * Opens two sessions on a fresh schema of `url`, as two control-plane replicas would, and
 * closes them and drops the schema after the test.
 */
export function twoDatabaseSessions(
  t: { after(fn: () => Promise<void>): void },
  url: string,
): [Database, Database] {
  const [first, second] = openSessions(t, url, 2);
  return [first!, second!];
}

function openSessions(
  t: { after(fn: () => Promise<void>): void },
  url: string,
  count: number,
): Database[] {
  const { schema, drop } = uniqueSchema(url);
  const databases = Array.from({ length: count }, () => openDatabase(url, schema));
  t.after(async () => {
    for (const db of databases) await db.pool.end();
    await drop();
  });
  return databases;
}

/** Path of the compiled mailshieldctl entry point. */
export const cliPath = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs mailshieldctl with `args`, in `cwd` when given, and resolves its exit code and output;
 * it never rejects.
 */
export function runCli(args: string[], cwd?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const options = { timeout: 20_000, ...(cwd === undefined ? {} : { cwd }) };
    execFile(process.execPath, [cliPath, ...args], options, (err, stdout, stderr) => {
      let code = 0;
      if (err !== null) code = typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}
