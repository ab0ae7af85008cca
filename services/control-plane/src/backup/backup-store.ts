import { getHeader, sanitizeHeaderValue } from '@mailshield/common';
import type { BackupSummary } from '@mailshield/proto/backup';
import type { MessageRecord, StageOutcome } from '@mailshield/proto/message';
import { backupInvalid, pageTokenInvalid } from '../errors.js';

/** One backed-up message with everything needed to show or release it. */
export interface StoredBackup {
  summary: BackupSummary;
  /** The record as the stage received it. */
  record: MessageRecord;
  /** The outcome of the stage that caused the backup. */
  outcome: StageOutcome;
}

export interface BackupPage {
  entries: BackupSummary[];
  /** Token for the next page; '' on the last page. */
  nextPageToken: string;
}

/**
 * Message copies that a stage stores before it deletes, rejects or holds a message, keyed by
 * message id. Both stores seal the record and outcome with body-codec.ts (Brotli, then
 * AES-256-GCM), but the summary that `list` shows stays in clear. NOTE: nothing purges old
 * copies yet.
 */
export interface BackupStore {
  /** Creates the storage when missing. */
  open(): Promise<void>;
  /**
   * Stores a copy unless one with the same id exists. Returns true when this call created
   * it; the first copy is kept otherwise.
   */
  store(record: MessageRecord, outcome: StageOutcome): Promise<boolean>;
  /** Newest first; `status` filters when not ''. Throws InvalidArgumentError on a bad token. */
  list(limit: number, pageToken: string, status: string): Promise<BackupPage>;
  /** Throws NotFoundError for an unknown id. */
  get(id: string): Promise<StoredBackup>;
  /** Records a release; a second release is recorded too. Throws NotFoundError for an unknown id. */
  markReleased(id: string, at: Date, actor: string, recipients?: string[]): Promise<void>;
  close(): Promise<void>;
}

export const defaultListLimit = 50;
export const maxListLimit = 1000;
const maxIdLength = 128;
const maxSubjectLength = 998;

/** Checks the parts of a Store request that every store relies on. */
export function checkBackupInput(
  record: MessageRecord | undefined,
  outcome: StageOutcome | undefined,
): void {
  const errors: string[] = [];
  if (record === undefined) errors.push('record: missing');
  else if (record.id === '') errors.push('record.id: missing');
  else if (record.id.length > maxIdLength)
    errors.push(`record.id: longer than ${maxIdLength} characters`);
  else if (/[\u0000-\u001f\u007f/\\]/.test(record.id))
    errors.push('record.id: contains control characters or slashes');
  if (outcome === undefined)
    errors.push('outcome: missing; send the outcome of the stage that acted');
  if (errors.length > 0) throw backupInvalid(errors);
}

/** Builds the summary columns of a new backup from its record and outcome. */
export function summarize(
  record: MessageRecord,
  outcome: StageOutcome,
  storedAt: Date,
): BackupSummary {
  const raw = Buffer.from(record.raw);
  const subject = sanitizeHeaderValue(getHeader(raw, 'subject') ?? '').slice(0, maxSubjectLength);
  return {
    id: record.id,
    mailFrom: record.envelope?.mailFrom ?? '',
    rcptTo: record.envelope?.rcptTo ?? [],
    subject,
    status: outcome.status,
    action: outcome.action,
    storedAt,
    sizeBytes: raw.length,
    releasedAt: undefined,
  };
}

/** Clamps a requested page size: 0 means the default. */
export function pageLimit(limit: number): number {
  if (limit < 0) throw backupInvalid(['limit: must not be negative']);
  return limit === 0 ? defaultListLimit : Math.min(limit, maxListLimit);
}

/** Position after the last entry of a page, in the newest-first order. */
export interface PageCursor {
  storedAtMs: number;
  id: string;
}

export function encodePageToken(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.storedAtMs, cursor.id])).toString('base64url');
}

export function decodePageToken(token: string): PageCursor | undefined {
  if (token === '') return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (Array.isArray(value) && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') {
      return { storedAtMs: value[0] as number, id: value[1] };
    }
  } catch {
    // Fall through to the error below.
  }
  throw pageTokenInvalid();
}

/** True when `summary` comes after `cursor` in the newest-first order. */
export function isAfterCursor(summary: BackupSummary, cursor: PageCursor): boolean {
  const storedAtMs = summary.storedAt?.getTime() ?? 0;
  return (
    storedAtMs < cursor.storedAtMs || (storedAtMs === cursor.storedAtMs && summary.id < cursor.id)
  );
}

/** Newest-first order: stored_at descending, then id descending. */
export function compareNewestFirst(a: BackupSummary, b: BackupSummary): number {
  const byTime = (b.storedAt?.getTime() ?? 0) - (a.storedAt?.getTime() ?? 0);
  if (byTime !== 0) return byTime;
  if (a.id === b.id) return 0;
  return a.id < b.id ? 1 : -1;
}
