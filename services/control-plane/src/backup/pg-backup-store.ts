import type pg from 'pg';
import type { MessageRecord, StageOutcome } from '@mailshield/proto/message';
import type { BackupSummary } from '@mailshield/proto/backup';
import { backupNotFound } from '../errors.js';
import { inLockedTransaction, migrate, type Database } from '../storage/postgres.js';
import {
  checkBackupInput,
  checkBackupQuery,
  decodePageToken,
  pageLimit,
  pageOf,
  summarize,
  type BackupPage,
  type BackupQuery,
  type BackupStats,
  type BackupStore,
  type PurgeReason,
  type PurgedBackup,
  type RetentionLimits,
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

  async list(query: BackupQuery): Promise<BackupPage> {
    checkBackupQuery(query);
    const size = pageLimit(query.limit);
    const cursor = decodePageToken(query.pageToken, query);
    const conditions: string[] = [];
    const values: unknown[] = [];
    const parameter = (value: unknown): string => {
      values.push(value);
      return `$${values.length}`;
    };
    if (query.status !== '') conditions.push(`status = ${parameter(query.status)}`);
    // strpos on lower() matches a plain substring, so % and _ in the filter need no escaping.
    // NOTE: no index serves substring filters, so they scan every row in the time range.
    if (query.sender !== '')
      conditions.push(`strpos(lower(mail_from), lower(${parameter(query.sender)})) > 0`);
    if (query.recipient !== '') {
      conditions.push(
        `EXISTS (SELECT 1 FROM unnest(rcpt_to) AS rcpt
                 WHERE strpos(lower(rcpt), lower(${parameter(query.recipient)})) > 0)`,
      );
    }
    if (query.subject !== '')
      conditions.push(`strpos(lower(subject), lower(${parameter(query.subject)})) > 0`);
    if (query.storedAfter !== undefined)
      conditions.push(`stored_at >= ${parameter(query.storedAfter)}`);
    if (query.storedBefore !== undefined)
      conditions.push(`stored_at < ${parameter(query.storedBefore)}`);
    if (cursor !== undefined) {
      const storedAt = parameter(new Date(cursor.storedAtMs));
      conditions.push(`(stored_at, id) < (${storedAt}, ${parameter(cursor.id)})`);
    }
    const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
    const result = await this.db.pool.query<SummaryRow>(
      `SELECT ${summaryColumns} FROM ${this.db.schema}.backups ${where}
       ORDER BY stored_at DESC, id DESC LIMIT ${parameter(size + 1)}`,
      values,
    );
    return pageOf(result.rows.map(toSummary), size, query);
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

  async delete(id: string): Promise<BackupSummary> {
    const deleted = await inLockedTransaction(this.db, `release:${id}`, (client) =>
      this.deleteRows(client, [id]),
    );
    const summary = deleted[0];
    if (summary === undefined) throw backupNotFound(id);
    return summary;
  }

  async stats(): Promise<BackupStats> {
    const result = await this.db.pool.query<{ count: string; bytes: string }>(
      `SELECT count(*) AS count, coalesce(sum(size_bytes), 0) AS bytes FROM ${this.db.schema}.backups`,
    );
    const row = result.rows[0]!;
    return { count: Number(row.count), bytes: Number(row.bytes) };
  }

  /**
   * Purges in one transaction under a lock that replicas take in turn. Rows are removed with
   * DELETE ... RETURNING, so a row that an admin deleted meanwhile is not reported again.
   * NOTE: a large backlog, such as after lowering a limit, is removed in one transaction.
   */
  async purge(limits: RetentionLimits, now: Date): Promise<PurgedBackup[]> {
    return inLockedTransaction(this.db, 'backup-retention', async (client) => {
      const purged: PurgedBackup[] = [];
      const s = this.db.schema;
      const remove = async (reason: PurgeReason, selectIds: string, values: unknown[]) => {
        const ids = (await client.query<{ id: string }>(selectIds, values)).rows.map(
          (row) => row.id,
        );
        for (const summary of await this.deleteRows(client, ids))
          purged.push({ id: summary.id, sizeBytes: summary.sizeBytes, reason });
      };
      if (limits.maxAgeMs > 0) {
        await remove('age', `SELECT id FROM ${s}.backups WHERE stored_at < $1`, [
          new Date(now.getTime() - limits.maxAgeMs),
        ]);
      }
      if (limits.maxCount > 0) {
        await remove(
          'count',
          `SELECT id FROM ${s}.backups ORDER BY stored_at ASC, id ASC
           LIMIT greatest((SELECT count(*) FROM ${s}.backups) - $1, 0)`,
          [limits.maxCount],
        );
      }
      if (limits.maxTotalBytes > 0) {
        // The oldest rows whose sizes, summed oldest first, reach the excess over the limit.
        await remove(
          'size',
          `WITH sized AS (
             SELECT id, sum(size_bytes) OVER (ORDER BY stored_at ASC, id ASC) - size_bytes AS before
             FROM ${s}.backups)
           SELECT id FROM sized
           WHERE before < (SELECT coalesce(sum(size_bytes), 0) FROM ${s}.backups) - $1`,
          [limits.maxTotalBytes],
        );
      }
      return purged;
    });
  }

  private async deleteRows(client: pg.PoolClient, ids: string[]): Promise<BackupSummary[]> {
    if (ids.length === 0) return [];
    // Locking the rows first makes a concurrent release either finish before the delete, so its
    // release row is seen and removed, or wait and then find nothing to release.
    await client.query(`SELECT id FROM ${this.db.schema}.backups WHERE id = ANY($1) FOR UPDATE`, [
      ids,
    ]);
    await client.query(`DELETE FROM ${this.db.schema}.backup_releases WHERE backup_id = ANY($1)`, [
      ids,
    ]);
    const result = await client.query<SummaryRow>(
      `DELETE FROM ${this.db.schema}.backups WHERE id = ANY($1) RETURNING ${summaryColumns}`,
      [ids],
    );
    return result.rows.map(toSummary);
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
