import { migrate, type Database } from '../storage/postgres.js';
import { auditLimit, type AuditEntry, type AuditLog, type AuditQuery } from './audit-log.js';

/**
 * The audit log as rows of `audit_log` in PostgreSQL. Rows are only inserted, and the serial id
 * orders entries of the same instant from several replicas.
 */
export class PgAuditLog implements AuditLog {
  constructor(private readonly db: Database) {}

  async open(): Promise<void> {
    await migrate(this.db);
  }

  async record(entry: Omit<AuditEntry, 'at'>): Promise<void> {
    await this.db.pool.query(
      `INSERT INTO ${this.db.schema}.audit_log (at, actor, action, target, detail)
       VALUES (now(), $1, $2, $3, $4)`,
      [entry.actor, entry.action, entry.target, entry.detail],
    );
  }

  async list(query: AuditQuery): Promise<AuditEntry[]> {
    const conditions: string[] = [];
    const values: unknown[] = [];
    if (query.target !== '') {
      values.push(query.target);
      conditions.push(`target = $${values.length}`);
    }
    if (query.actor !== '') {
      values.push(query.actor);
      conditions.push(`actor = $${values.length}`);
    }
    values.push(auditLimit(query.limit));
    const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
    const result = await this.db.pool.query<AuditEntry>(
      `SELECT at, actor, action, target, detail FROM ${this.db.schema}.audit_log ${where}
       ORDER BY id DESC LIMIT $${values.length}`,
      values,
    );
    return result.rows;
  }

  /** Leaves the pool open, because it belongs to the caller that opened the database. */
  async close(): Promise<void> {}
}
