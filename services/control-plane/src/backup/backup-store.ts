import { createHash } from 'node:crypto';
import { getHeader, InvalidArgumentError, sanitizeHeaderValue } from '@mailshield/common';
import type { BackupSummary } from '@mailshield/proto/backup';
import type { MessageRecord, StageOutcome } from '@mailshield/proto/message';
import { decodeHeaderValue } from './preview.js';
import { backupInvalid, ErrorCodes, pageTokenInvalid } from '../errors.js';

/** One backed-up message with everything needed to show or release it. */
export interface StoredBackup {
  summary: BackupSummary;
  /** The record as the stage received it. */
  record: MessageRecord;
  /** The outcome of the stage that caused the backup. */
  outcome: StageOutcome;
}

/** Filters and paging of `BackupStore.list`. An empty text or undefined time filters nothing. */
export interface BackupQuery {
  /** Maximum number of entries, or 0 for the default. */
  limit: number;
  /** Token from a previous page of the same query, or ''. */
  pageToken: string;
  /** Exact status, such as infected. */
  status: string;
  /** Text the envelope sender contains, ignoring case. */
  sender: string;
  /** Text one of the envelope recipients contains, ignoring case. */
  recipient: string;
  /** Text the subject contains, ignoring case. */
  subject: string;
  /** Stored at or after this time. */
  storedAfter: Date | undefined;
  /** Stored before this time. */
  storedBefore: Date | undefined;
}

/** Builds a query with every filter unset and the default page size, changed by `overrides`. */
export function backupQuery(overrides: Partial<BackupQuery> = {}): BackupQuery {
  return {
    limit: 0,
    pageToken: '',
    status: '',
    sender: '',
    recipient: '',
    subject: '',
    storedAfter: undefined,
    storedBefore: undefined,
    ...overrides,
  };
}

/** Message count and total size of the original messages, as retention measures them. */
export interface BackupStats {
  count: number;
  bytes: number;
}

/** The retention limit that removed a copy. */
export type PurgeReason = 'age' | 'size' | 'count';

/** Limits that retention enforces, where 0 turns a limit off. */
export interface RetentionLimits {
  /** Copies stored longer ago than this are removed. */
  maxAgeMs: number;
  /** The oldest copies are removed while the sum of message sizes is above this. */
  maxTotalBytes: number;
  /** The oldest copies are removed while there are more than this. */
  maxCount: number;
}

/** One copy removed by retention. */
export interface PurgedBackup {
  id: string;
  sizeBytes: number;
  reason: PurgeReason;
}

export interface BackupPage {
  entries: BackupSummary[];
  /** Token for the next page; '' on the last page. */
  nextPageToken: string;
}

/**
 * Message copies that a stage stores before it deletes, rejects or holds a message, keyed by
 * message id. Both stores seal the record and outcome with body-codec.ts (Brotli, then
 * AES-256-GCM), but the summary that `list` shows stays in clear. Sizes are those of the
 * original messages, not of the smaller sealed bodies.
 */
export interface BackupStore {
  /** Creates the storage when missing. */
  open(): Promise<void>;
  /**
   * Stores a copy unless one with the same id exists. Returns true when this call created
   * it; the first copy is kept otherwise.
   */
  store(record: MessageRecord, outcome: StageOutcome): Promise<boolean>;
  /**
   * Lists summaries newest first (stored_at, then id, descending) that match every filter.
   * Throws InvalidArgumentError on a bad token or a token from a query with other filters.
   */
  list(query: BackupQuery): Promise<BackupPage>;
  /** Throws NotFoundError for an unknown id. */
  get(id: string): Promise<StoredBackup>;
  /** Records a release; a second release is recorded too. Throws NotFoundError for an unknown id. */
  markReleased(id: string, at: Date, actor: string, recipients?: string[]): Promise<void>;
  /**
   * Removes a copy and its release records and returns its summary. Throws NotFoundError
   * for an unknown id.
   */
  delete(id: string): Promise<BackupSummary>;
  /** Counts the copies and sums their message sizes. */
  stats(): Promise<BackupStats>;
  /**
   * Removes copies over `limits`, oldest first: by age, then by count, then by total size.
   * Each copy is reported once even when several replicas purge the same store.
   */
  purge(limits: RetentionLimits, now: Date): Promise<PurgedBackup[]>;
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
  // Decoded, so that a search for "café" finds a subject sent as an RFC 2047 encoded word.
  const subject = sanitizeHeaderValue(decodeHeaderValue(getHeader(raw, 'subject') ?? '')).slice(
    0,
    maxSubjectLength,
  );
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

/**
 * Encodes the position after `cursor` together with a hash of the query's filters, so a token
 * cannot be replayed with other filters and skip entries without an error.
 */
export function encodePageToken(cursor: PageCursor, query?: BackupQuery): string {
  const position: unknown[] = [cursor.storedAtMs, cursor.id];
  if (query !== undefined) position.push(filterHash(query));
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/**
 * Decodes a token of `encodePageToken`. A token without a filter hash, as written before
 * filters existed, is accepted for any query.
 */
export function decodePageToken(token: string, query?: BackupQuery): PageCursor | undefined {
  if (token === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw pageTokenInvalid();
  }
  if (!Array.isArray(value) || !Number.isSafeInteger(value[0]) || typeof value[1] !== 'string')
    throw pageTokenInvalid();
  if (value.length > 2 && query !== undefined && value[2] !== filterHash(query)) {
    throw new InvalidArgumentError(
      ErrorCodes.pageTokenInvalid,
      'page_token belongs to a list with other filters: repeat the filters of the first page',
      ['page_token: made for other filters'],
    );
  }
  return { storedAtMs: value[0] as number, id: value[1] };
}

function filterHash(query: BackupQuery): string {
  const filters = [
    query.status,
    query.sender,
    query.recipient,
    query.subject,
    query.storedAfter?.getTime() ?? null,
    query.storedBefore?.getTime() ?? null,
  ];
  return createHash('sha256').update(JSON.stringify(filters)).digest('base64url').slice(0, 12);
}

/** Builds the page of `query` from up to `size + 1` matching entries, newest first. */
export function pageOf(matching: BackupSummary[], size: number, query: BackupQuery): BackupPage {
  const entries = matching.slice(0, size);
  const last = entries.at(-1);
  const hasMore = matching.length > size && last !== undefined;
  return {
    entries,
    nextPageToken: hasMore
      ? encodePageToken({ storedAtMs: last.storedAt!.getTime(), id: last.id }, query)
      : '',
  };
}

const maxFilterLength = 998;

/** Checks the filters of `query` and throws InvalidArgumentError listing every problem. */
export function checkBackupQuery(query: BackupQuery): void {
  const errors: string[] = [];
  for (const field of ['status', 'sender', 'recipient', 'subject'] as const) {
    if (query[field].length > maxFilterLength)
      errors.push(`${field}: longer than ${maxFilterLength} characters`);
  }
  if (
    query.storedAfter !== undefined &&
    query.storedBefore !== undefined &&
    query.storedAfter.getTime() >= query.storedBefore.getTime()
  )
    errors.push('stored_after: must be earlier than stored_before');
  if (errors.length > 0) throw backupInvalid(errors);
}

/** Returns whether `summary` matches every filter of `query`, for the file store's list. */
export function matchesQuery(summary: BackupSummary, query: BackupQuery): boolean {
  const storedAtMs = summary.storedAt?.getTime() ?? 0;
  if (query.status !== '' && summary.status !== query.status) return false;
  if (query.sender !== '' && !containsIgnoringCase(summary.mailFrom, query.sender)) return false;
  if (
    query.recipient !== '' &&
    !summary.rcptTo.some((address) => containsIgnoringCase(address, query.recipient))
  )
    return false;
  if (query.subject !== '' && !containsIgnoringCase(summary.subject, query.subject)) return false;
  if (query.storedAfter !== undefined && storedAtMs < query.storedAfter.getTime()) return false;
  if (query.storedBefore !== undefined && storedAtMs >= query.storedBefore.getTime()) return false;
  return true;
}

function containsIgnoringCase(text: string, part: string): boolean {
  return text.toLowerCase().includes(part.toLowerCase());
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
