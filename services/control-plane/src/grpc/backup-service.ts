import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger, MessageBus } from '@mailshield/common';
import type {
  BackupEntry,
  BackupView,
  DeleteBackupRequest,
  DeleteBackupResponse,
  DownloadBackupRequest,
  DownloadBackupResponse,
  GetBackupRequest,
  ListBackupsRequest,
  ListBackupsResponse,
  ReleaseBackupRequest,
  ReleaseBackupResponse,
  ShowBackupRequest,
  StoreBackupRequest,
  StoreBackupResponse,
} from '@mailshield/proto/backup';
import { actorOrUnknown, type AuditLog } from '../audit/audit-log.js';
import {
  backupQuery,
  checkBackupInput,
  type BackupStore,
  type StoredBackup,
} from '../backup/backup-store.js';
import { buildPreview } from '../backup/preview.js';
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

/**
 * The Backup service: Store, List, Get, Show, Download, Release and Delete of message copies.
 * Every call that reads or changes one message is an administrative action and is written to
 * the audit log before the call returns.
 */
export function backupService(deps: BackupServiceDeps): UntypedServiceImplementation {
  const { store, logger, metrics } = deps;

  /** Reads a copy for an administrator and records who read it before it is returned. */
  const readAudited = async (
    request: { id: string; actor: string },
    action: string,
    detail: (backup: StoredBackup) => string,
  ): Promise<StoredBackup> => {
    const actor = actorOrUnknown(request.actor);
    const backup = await store.get(request.id);
    await deps.audit.record({ actor, action, target: request.id, detail: detail(backup) });
    logger.info({ event: action, mail_id: request.id, actor }, 'backed-up message read');
    return backup;
  };

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
        const page = await store.list(backupQuery(request));
        return { entries: page.entries, nextPageToken: page.nextPageToken };
      },
    ),
    get: countedUnary(
      'Backup.Get',
      logger,
      metrics,
      async (request: GetBackupRequest): Promise<BackupEntry> => {
        const backup = await readAudited(request, 'backup.get', () => 'read the whole record');
        return { summary: backup.summary, record: backup.record, outcome: backup.outcome };
      },
    ),
    show: countedUnary(
      'Backup.Show',
      logger,
      metrics,
      async (request: ShowBackupRequest): Promise<BackupView> => {
        const backup = await readAudited(
          request,
          'backup.show',
          () => 'viewed the headers, outcomes and text preview',
        );
        const preview = await buildPreview(backup.record.raw);
        return {
          summary: backup.summary,
          outcomes: [...backup.record.outcomes, backup.outcome],
          ...preview,
        };
      },
    ),
    download: countedUnary(
      'Backup.Download',
      logger,
      metrics,
      async (request: DownloadBackupRequest): Promise<DownloadBackupResponse> => {
        const backup = await readAudited(
          request,
          'backup.download',
          (read) => `downloaded the original message (${read.record.raw.length} bytes)`,
        );
        return { raw: backup.record.raw, summary: backup.summary };
      },
    ),
    delete: countedUnary(
      'Backup.Delete',
      logger,
      metrics,
      async (request: DeleteBackupRequest): Promise<DeleteBackupResponse> => {
        const actor = actorOrUnknown(request.actor);
        const summary = await store.delete(request.id);
        metrics.backupDeleted.inc();
        await deps.audit.record({
          actor,
          action: 'backup.delete',
          target: request.id,
          detail: `deleted (status ${summary.status}, ${summary.sizeBytes} bytes)`,
        });
        logger.info(
          { event: 'backup.deleted', mail_id: request.id, actor, status: summary.status },
          'message deleted from backup',
        );
        return { sizeBytes: summary.sizeBytes };
      },
    ),
    release: countedUnary(
      'Backup.Release',
      logger,
      metrics,
      async (request: ReleaseBackupRequest): Promise<ReleaseBackupResponse> => {
        const actor = actorOrUnknown(request.actor);
        // Teaching comes first, so a failure leaves the message unreleased for a retry.
        if (request.notSpam) await deps.teachHam(await store.get(request.id), actor);
        const releasedAt = await releaseBackup(store, deps.bus, request, deps.instance);
        metrics.backupReleased.inc();
        const to =
          request.recipients.length === 0
            ? 'the original recipients'
            : request.recipients.join(', ');
        await deps.audit.record({
          actor,
          action: 'backup.release',
          target: request.id,
          detail: `released to ${to}${request.notSpam ? ', taught as ham' : ''}`,
        });
        logger.info(
          {
            event: 'backup.released',
            mail_id: request.id,
            actor,
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
