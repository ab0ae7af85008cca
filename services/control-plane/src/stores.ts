import { join } from 'node:path';
import { FileBackupStore } from './backup/file-backup-store.js';
import type { BackupStore } from './backup/backup-store.js';
import { FileLearningStore } from './learning/file-learning-store.js';
import type { LearningStore } from './learning/learning-store.js';
import { PgLearningStore } from './learning/pg-learning-store.js';
import { FilePolicyStore } from './policy/file-policy-store.js';
import { PgPolicyStore } from './policy/pg-policy-store.js';
import type { PolicyStore } from './policy/policy-store.js';
import { PgBackupStore } from './backup/pg-backup-store.js';
import { openDatabase } from './storage/postgres.js';
import type { BackupKey } from './backup/body-codec.js';
import type { AuditLog } from './audit/audit-log.js';
import { FileAuditLog } from './audit/file-audit-log.js';
import { PgAuditLog } from './audit/pg-audit-log.js';

export interface Stores {
  policy: PolicyStore;
  backup: BackupStore;
  learning: LearningStore;
  audit: AuditLog;
  /** Which implementation is in use, for the start-up log. */
  kind: 'postgres' | 'files';
  close(): Promise<void>;
}

/**
 * Creates the PostgreSQL stores when `databaseUrl` is set, else the file stores under
 * `stateDir/control-plane`. The stores still need `open()`.
 */
export function createStores(options: {
  databaseUrl: string | undefined;
  databaseSchema: string;
  stateDir: string;
  /** Seals the Backup bodies of either store. */
  backupKey: BackupKey;
}): Stores {
  if (options.databaseUrl !== undefined) {
    const db = openDatabase(options.databaseUrl, options.databaseSchema);
    return {
      policy: new PgPolicyStore(db),
      backup: new PgBackupStore(db, options.backupKey),
      learning: new PgLearningStore(db),
      audit: new PgAuditLog(db),
      kind: 'postgres',
      close: () => db.pool.end(),
    };
  }
  const root = join(options.stateDir, 'control-plane');
  return {
    policy: new FilePolicyStore(join(root, 'policy')),
    backup: new FileBackupStore(join(root, 'backups'), options.backupKey),
    learning: new FileLearningStore(join(root, 'learning')),
    audit: new FileAuditLog(join(root, 'audit', 'audit.jsonl')),
    kind: 'files',
    close: async () => undefined,
  };
}
