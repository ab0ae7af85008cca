import type { MessageRecord, StageOutcome } from '@mailshield/proto/message';
import type { BackupSummary } from '@mailshield/proto/backup';
import { backupNotFound } from '../errors.js';
import { inLockedTransaction, migrate, type Database } from '../storage/postgres.js';
import {
  checkBackupInput,
  decodePageToken,
  encodePageToken,
  pageLimit,
  summarize,
  type BackupPage,
  type BackupStore,
  type StoredBackup,
} from './backup-store.js';
import type { BackupKey } from './body-codec.js';
import { openOutcome, openRecord, sealOutcome, sealRecord } from './sealed-backup.js';

interface SummaryRow {
  id: string;
  mail_from: string;
  rcpt_to: string[];
  subject: string;
  status: string;
  action: string;
  size_bytes: string;
  stored_at: Date;
  released_at: Date | null;
}

const summaryColumns =
  'id, mail_from, rcpt_to, subject, status, action, size_bytes, stored_at, released_at';

/**
 * Backups as rows of `backups` in PostgreSQL, with releases in `backup_releases`. The
 * `record` column contains the whole record sealed with `key`, and `raw` stays empty. Rows
 * written before sealing, with a plain record and the message in `raw`, still read.
 */
export class PgBackupStore implements BackupStore {
  constructor(
    private readonly db: Database,
    private readonly key: BackupKey,
  ) {}

  async open(): Promise<void> {
    await migrate(this.db);
  }

  async store(record: MessageRecord, outcome: StageOutcome): Promise<boolean> {
    checkBackupInput(record, outcome);
    const summary = summarize(record, outcome, new Date());
    const result = await this.db.pool.query(
      `INSERT INTO ${this.db.schema}.backups
         (id, mail_from, rcpt_to, subject, status, action, size_bytes, stored_at, raw, record, outcome)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (id) DO NOTHING`,
      [
        summary.id,
        summary.mailFrom,
        summary.rcptTo,
        summary.subject,
        summary.status,
        summary.action,
        summary.sizeBytes,
        summary.storedAt,
        Buffer.alloc(0),
        sealRecord(this.key, record),
        sealOutcome(this.key, outcome),
      ],
    );
    return result.rowCount === 1;
  }

  async list(limit: number, pageToken: string, status: string): Promise<BackupPage> {
    const size = pageLimit(limit);
    const cursor = decodePageToken(pageToken);
    const conditions: string[] = [];
    const values: unknown[] = [];
    if (status !== '') {
      values.push(status);
      conditions.push(`status = $${values.length}`);
    }
    if (cursor !== undefined) {
      values.push(new Date(cursor.storedAtMs), cursor.id);
      conditions.push(`(stored_at, id) < ($${values.length - 1}, $${values.length})`);
    }
    values.push(size + 1);
    const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
    const result = await this.db.pool.query<SummaryRow>(
      `SELECT ${summaryColumns} FROM ${this.db.schema}.backups ${where}
       ORDER BY stored_at DESC, id DESC LIMIT $${values.length}`,
      values,
    );
    const entries = result.rows.slice(0, size).map(toSummary);
    const last = entries.at(-1);
    const hasMore = result.rows.length > size && last !== undefined;
    return {
      entries,
      nextPageToken: hasMore
        ? encodePageToken({ storedAtMs: last.storedAt!.getTime(), id: last.id })
        : '',
    };
  }

  async get(id: string): Promise<StoredBackup> {
    const result = await this.db.pool.query<
      SummaryRow & { raw: Buffer; record: Buffer; outcome: Buffer }
    >(
      `SELECT ${summaryColumns}, raw, record, outcome FROM ${this.db.schema}.backups WHERE id = $1`,
      [id],
    );
    const row = result.rows[0];
    if (row === undefined) throw backupNotFound(id);
    return {
      summary: toSummary(row),
      record: await openRecord(this.key, id, row.record, async () => row.raw),
      outcome: openOutcome(this.key, id, row.outcome),
    };
  }

  async markReleased(
    id: string,
    at: Date,
    actor: string,
    recipients: string[] = [],
  ): Promise<void> {
    await inLockedTransaction(this.db, `release:${id}`, async (client) => {
      const updated = await client.query(
        `UPDATE ${this.db.schema}.backups SET released_at = $2 WHERE id = $1`,
        [id, at],
      );
      if (updated.rowCount !== 1) throw backupNotFound(id);
      await client.query(
        `INSERT INTO ${this.db.schema}.backup_releases (backup_id, released_at, actor, recipients)
         VALUES ($1, $2, $3, $4)`,
        [id, at, actor, recipients],
      );
    });
  }

  /** The pool belongs to whoever opened the database, so it stays open. */
  async close(): Promise<void> {}
}

function toSummary(row: SummaryRow): BackupSummary {
  return {
    id: row.id,
    mailFrom: row.mail_from,
    rcptTo: row.rcpt_to,
    subject: row.subject,
    status: row.status,
    action: row.action,
    sizeBytes: Number(row.size_bytes),
    storedAt: row.stored_at,
    releasedAt: row.released_at ?? undefined,
  };
}
