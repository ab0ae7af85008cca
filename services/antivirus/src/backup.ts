import {
  clientChannelOptions,
  deadlineIn,
  insecureCredentials,
  target,
  traceMetadata,
  UnavailableError,
  type HostPort,
} from '@mailshield/common';
import { BackupClient } from '@mailshield/proto/backup';
import type { MessageRecord, StageOutcome } from '@mailshield/proto/message';
import { AvReason } from './errors.js';

/** Store for original records, written before a destructive action. */
export interface BackupStore {
  /** Stores the original record; throws UnavailableError when it is not stored. */
  store(record: MessageRecord, outcome: StageOutcome): Promise<void>;
  close(): void;
}

/** Backup.Store of the control plane over gRPC; idempotent by message id on the server. */
export class GrpcBackupStore implements BackupStore {
  private readonly client: BackupClient;

  constructor(
    address: HostPort,
    private readonly timeoutSeconds = 10,
  ) {
    this.client = new BackupClient(target(address), insecureCredentials, clientChannelOptions);
  }

  store(record: MessageRecord, outcome: StageOutcome): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.store(
        { record, outcome },
        traceMetadata(),
        { deadline: deadlineIn(this.timeoutSeconds) },
        (err) => {
          if (err === null) resolve();
          else
            reject(
              new UnavailableError(
                AvReason.backupFailed,
                `Backup.Store failed for ${record.id}: ${err.message}`,
                { cause: err },
              ),
            );
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
