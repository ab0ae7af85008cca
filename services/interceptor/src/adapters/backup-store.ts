import {
  clientChannelOptions,
  deadlineIn,
  insecureCredentials,
  target,
  traceMetadata,
  type HostPort,
} from '@mailshield/common';
import { BackupClient } from '@mailshield/proto/backup';
import type { MessageRecord, StageOutcome } from '@mailshield/proto/message';
import { BackupFailedError } from '../errors.js';

/** Store for messages that delivery cannot hand on: bounced or expired. */
export interface BackupStore {
  /**
   * Stores the record with the outcome that explains it. Resolves with true when this call
   * created the copy, false when the message id already had one (which is kept). Throws
   * BackupFailedError when nothing is stored.
   */
  store(record: MessageRecord, outcome: StageOutcome): Promise<boolean>;
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

  store(record: MessageRecord, outcome: StageOutcome): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.client.store(
        { record, outcome },
        traceMetadata(),
        { deadline: deadlineIn(this.timeoutSeconds) },
        (err, response) => {
          if (err === null) {
            resolve(response.created);
            return;
          }
          reject(
            new BackupFailedError(`Backup.Store failed for ${record.id}: ${err.message}`, {
              cause: err,
            }),
          );
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
