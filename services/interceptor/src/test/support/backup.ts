import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createLogger,
  insecureCredentials,
  MemoryBus,
  type RunningService,
} from '@mailshield/common';
import { readControlPlaneOptions, startControlPlane } from '@mailshield/control-plane';
import { BackupClient, type BackupEntry } from '@mailshield/proto/backup';
import type { MessageRecord, StageOutcome } from '@mailshield/proto/message';
import type { BackupStore } from '@mailshield/common';
import { BackupFailedError } from '../../errors.js';

/** A Backup store in memory that keeps every call and can be made to fail. */
export class RecordingBackupStore implements BackupStore {
  readonly stored = new Map<string, { record: MessageRecord; outcome: StageOutcome }>();
  /** Every call, failed ones included, in order. */
  readonly calls: { id: string; status: string }[] = [];
  /** While set, `store` throws BackupFailedError with this message. */
  failure: string | undefined;

  async store(record: MessageRecord, outcome: StageOutcome): Promise<boolean> {
    this.calls.push({ id: record.id, status: outcome.status });
    if (this.failure !== undefined) throw new BackupFailedError(this.failure);
    if (this.stored.has(record.id)) return false;
    this.stored.set(record.id, { record, outcome });
    return true;
  }

  close(): void {}
}

/** A control plane on free loopback ports with a file store in a temp folder. */
export interface TestControlPlane {
  service: RunningService;
  port: number;
  /** Returns the Backup entry of a message, read with Backup.Get. */
  getBackup(id: string): Promise<BackupEntry>;
  stop(): Promise<void>;
}

/** Starts a real control plane in this process, for tests that need its Backup service. */
export async function startTestControlPlane(): Promise<TestControlPlane> {
  const stateDir = await mkdtemp(join(tmpdir(), 'mailshield-interceptor-cp-'));
  const bus = new MemoryBus();
  const options = readControlPlaneOptions({
    MAILSHIELD_STATE_DIR: stateDir,
    MAILSHIELD_CONTROL_PLANE_GRPC_PORT: '0',
    MAILSHIELD_CONTROL_PLANE_METRICS_PORT: '0',
    MAILSHIELD_POLICY_POLL_SECONDS: '60',
  });
  const service = await startControlPlane(
    { ...options, components: [] },
    { bus, logger: createLogger('control-plane', process.env['TEST_LOG_LEVEL'] ?? 'silent') },
  );
  const port = service.ports['grpc']!;
  const client = new BackupClient(`127.0.0.1:${port}`, insecureCredentials);
  return {
    service,
    port,
    getBackup: (id) =>
      new Promise((resolve, reject) => {
        client.get({ id, actor: 'interceptor-test' }, (err, entry) =>
          err === null ? resolve(entry) : reject(err),
        );
      }),
    stop: async () => {
      client.close();
      await service.stop();
      await bus.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
