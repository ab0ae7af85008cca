/** One administrative action: who did what, when, to which object. */
export interface AuditEntry {
  at: Date;
  /** The person or tool that made the request, as the caller named itself (such as user@host). */
  actor: string;
  /** The action name, such as "backup.release", "backup.delete" or "policy.set". */
  action: string;
  /** The object acted on, such as a message id or "policy". */
  target: string;
  /** Further facts in words, such as the other recipients or the new policy version. */
  detail: string;
}

export interface AuditQuery {
  /** At most this many entries, newest first; see `auditLimit`. */
  limit: number;
  /** Only entries for this target, when not ''. */
  target: string;
  /** Only entries with this actor, when not ''. */
  actor: string;
}

/** Append-only record of every administrative action. */
export interface AuditLog {
  open(): Promise<void>;
  /** Appends one entry stamped with the current time. */
  record(entry: Omit<AuditEntry, 'at'>): Promise<void>;
  list(query: AuditQuery): Promise<AuditEntry[]>;
  close(): Promise<void>;
}

export const defaultAuditLimit = 50;
export const maxAuditLimit = 1000;

/** Clamps a requested number of entries: 0 or less means the default. */
export function auditLimit(limit: number): number {
  return limit <= 0 ? defaultAuditLimit : Math.min(limit, maxAuditLimit);
}

/** Returns the actor to record: 'unknown' for a request that named none. */
export function actorOrUnknown(actor: string): string {
  return actor === '' ? 'unknown' : actor;
}
