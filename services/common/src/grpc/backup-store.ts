import { BackupClient } from '@mailshield/proto/backup';
import type { MessageRecord, StageOutcome } from '@mailshield/proto/message';
import type { HostPort } from '../env.js';
import { UnavailableError } from '../errors.js';
import {
  clientChannelOptions,
  deadlineIn,
  insecureCredentials,
  target,
  traceMetadata,
} from './client.js';

/** Where a stage puts a message before it removes, rejects, holds or gives up on it. */
export interface BackupStore {
  /**
   * Stores the record with the outcome that explains it. Resolves with true when this call
   * created the copy, false when the message id already had one (which is kept). Throws
   * UnavailableError when nothing is stored, so the caller keeps the message and retries.
   */
  store(record: MessageRecord, outcome: StageOutcome): Promise<boolean>;
  close(): void;
}

export interface GrpcBackupStoreOptions {
  /** Deadline of each Backup.Store call, in seconds. Default 10. */
  timeoutSeconds?: number;
  /** Error code of the UnavailableError thrown when a call fails, such as `AV_BACKUP_FAILED`. */
  errorCode: string;
}

/** Backup.Store of the control plane over gRPC, in the caller's trace; idempotent by message id. */
export class GrpcBackupStore implements BackupStore {
  private readonly client: BackupClient;

  constructor(
    address: HostPort,
    private readonly options: GrpcBackupStoreOptions,
  ) {
    this.client = new BackupClient(target(address), insecureCredentials, clientChannelOptions);
  }

  store(record: MessageRecord, outcome: StageOutcome): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.client.store(
        { record, outcome },
        traceMetadata(),
        { deadline: deadlineIn(this.options.timeoutSeconds ?? 10) },
        (err, response) => {
          if (err === null) {
            resolve(response.created);
            return;
          }
          const message = `Backup.Store failed for ${record.id}: ${err.message}`;
          reject(new UnavailableError(this.options.errorCode, message, { cause: err }));
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }
}
