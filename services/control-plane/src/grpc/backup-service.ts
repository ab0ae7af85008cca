import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger, MessageBus } from '@mailshield/common';
import type {
  BackupEntry,
  GetBackupRequest,
  ListBackupsRequest,
  ListBackupsResponse,
  ReleaseBackupRequest,
  ReleaseBackupResponse,
  StoreBackupRequest,
  StoreBackupResponse,
} from '@mailshield/proto/backup';
import type { AuditLog } from '../audit/audit-log.js';
import { checkBackupInput, type BackupStore } from '../backup/backup-store.js';
import { releaseBackup } from '../backup/release.js';
import type { HamTeacher } from '../backup/teach-ham.js';
import type { ControlPlaneMetrics } from '../metrics.js';
import { countedUnary } from './handler.js';

export interface BackupServiceDeps {
  store: BackupStore;
  bus: MessageBus;
  logger: Logger;
  metrics: ControlPlaneMetrics;
  /** Instance name written on release outcomes. */
  instance: string;
  /** Teaches the antispam that a message released as not spam is ham. */
  teachHam: HamTeacher;
  audit: AuditLog;
}

/** The Backup service: Store, List, Get and Release of message copies. */
export function backupService(deps: BackupServiceDeps): UntypedServiceImplementation {
  const { store, logger, metrics } = deps;
  return {
    store: countedUnary(
      'Backup.Store',
      logger,
      metrics,
      async (request: StoreBackupRequest): Promise<StoreBackupResponse> => {
        checkBackupInput(request.record, request.outcome);
        const created = await store.store(request.record!, request.outcome!);
        if (created) metrics.backupStored.inc({ status: request.outcome!.status });
        logger.info(
          {
            event: 'backup.stored',
            mail_id: request.record!.id,
            status: request.outcome!.status,
            created,
          },
          created ? 'message backed up' : 'message already backed up',
        );
        return { created };
      },
    ),
    list: countedUnary(
      'Backup.List',
      logger,
      metrics,
      async (request: ListBackupsRequest): Promise<ListBackupsResponse> => {
        const page = await store.list(request.limit, request.pageToken, request.status);
        return { entries: page.entries, nextPageToken: page.nextPageToken };
      },
    ),
    get: countedUnary(
      'Backup.Get',
      logger,
      metrics,
      async (request: GetBackupRequest): Promise<BackupEntry> => {
        const backup = await store.get(request.id);
        return { summary: backup.summary, record: backup.record, outcome: backup.outcome };
      },
    ),
    release: countedUnary(
      'Backup.Release',
      logger,
      metrics,
      async (request: ReleaseBackupRequest): Promise<ReleaseBackupResponse> => {
        // Teaching comes first, so a failure leaves the message held and the call can be retried.
        if (request.notSpam) {
          await deps.teachHam(await store.get(request.id), request.actor || 'unknown');
        }
        const releasedAt = await releaseBackup(store, deps.bus, request, deps.instance);
        metrics.backupReleased.inc();
        const to =
          request.recipients.length === 0
            ? 'the original recipients'
            : request.recipients.join(', ');
        await deps.audit.record({
          actor: request.actor || 'unknown',
          action: 'backup.release',
          target: request.id,
          detail: `released to ${to}${request.notSpam ? ', taught as ham' : ''}`,
        });
        logger.info(
          {
            event: 'backup.released',
            mail_id: request.id,
            actor: request.actor,
            to: request.recipients.length === 0 ? 'original recipients' : 'other recipients',
            other_recipients: request.recipients.length,
            learned_as_ham: request.notSpam,
          },
          'message released from backup',
        );
        return { releasedAt, learned: request.notSpam };
      },
    ),
  };
}
