import { actorInvalid } from '../errors.js';
import { unsafeCharacters } from '../text.js';

/** One administrative action: who did what, when, to which object. */
export interface AuditEntry {
  at: Date;
  /** Person or tool that made the request, as the caller named itself (such as user@host). */
  actor: string;
  /** Action name, such as "backup.release", "backup.delete" or "policy.set". */
  action: string;
  /** Object acted on, such as a message id or "policy". */
  target: string;
  /** Further facts in words, such as the other recipients or the new policy version. */
  detail: string;
}

/** Filter and limit of an audit log listing. */
export interface AuditQuery {
  /** Maximum number of entries, newest first, as `auditLimit` clamps it. */
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

/** Maximum length of an actor name, in characters. */
export const maxActorLength = 200;

/**
 * Returns the problem with an actor name as a field error, or undefined when it is fine.
 * Control and format characters are rejected because the name is printed in audit tables,
 * where a newline would fake a row and an escape sequence would reach the reader's terminal.
 */
export function actorProblem(actor: string): string | undefined {
  if (actor.length > maxActorLength)
    return `actor: ${actor.length} characters, at most ${maxActorLength}`;
  if (unsafeCharacters.test(actor))
    return 'actor: contains control or format characters; use a plain name such as user@host';
  return undefined;
}

/**
 * Returns the actor to record: 'unknown' for a request that named none. Throws
 * InvalidArgumentError (CP_ACTOR_INVALID) for a name that `actorProblem` rejects.
 */
export function actorOrUnknown(actor: string): string {
  const problem = actorProblem(actor);
  if (problem !== undefined) throw actorInvalid(problem);
  return actor === '' ? 'unknown' : actor;
}
