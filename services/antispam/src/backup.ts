import {
  deadlineIn,
  traceMetadata,
  type HostPort,
  clientChannelOptions,
  insecureCredentials,
  target,
} from '@mailshield/common';
import { BackupClient } from '@mailshield/proto/backup';
import type { MessageRecord, StageOutcome } from '@mailshield/proto/message';

/** Where originals go before a reject, delete or hold. */
export interface BackupStore {
  /** Resolves once the control plane holds the copy; idempotent by message id. */
  store(record: MessageRecord, outcome: StageOutcome): Promise<void>;
  close(): void;
}

/** Backup.Store over gRPC, with a deadline on every call. */
export function createBackupStore(controlPlane: HostPort, timeoutSeconds: number): BackupStore {
  const client = new BackupClient(target(controlPlane), insecureCredentials, clientChannelOptions);
  return {
    store: (record, outcome) =>
      new Promise<void>((resolve, reject) => {
        client.store(
          { record, outcome },
          traceMetadata(),
          { deadline: deadlineIn(timeoutSeconds) },
          (err) => (err === null ? resolve() : reject(err)),
        );
      }),
    close: () => client.close(),
  };
}
