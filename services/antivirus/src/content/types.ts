import type { DetectedType } from './file-type.js';

/** Limit that stopped an inspection. Any breach means the object is not fully checked. */
export type BreachReason =
  | 'archive-too-deep'
  | 'expansion-too-large'
  | 'member-too-large'
  | 'compression-ratio'
  | 'too-many-entries'
  | 'unsupported-compression';

/** A limit the object went past, once per reason, with the number of times in `count`. */
export interface LimitBreach {
  reason: BreachReason;
  /** Place and size of the first occurrence. */
  detail: string;
  count: number;
}

/**
 * How far a member was read.
 * - inspected: content read in full, so type and size are exact.
 * - protected: encrypted; size is the declared one, type unknown.
 * - unexpanded: compressed with a method this module does not implement (clamd may still
 *   unpack it); size is the declared one, type unknown.
 * - corrupted: damaged, cut short, or failing its CRC.
 * - over-limit: expansion stopped at a limit (see the breaches); type from the first bytes.
 * - skipped: not expanded because the expansion budget was already spent.
 */
export type InnerFileStatus =
  'inspected' | 'protected' | 'unexpanded' | 'corrupted' | 'over-limit' | 'skipped';

/** A file inside the inspected object: an archive member or a TNEF attachment, at any depth. */
export interface InnerFile {
  /** Names from the object down, joined by "/": "outer.zip/docs.zip/eicar.com". */
  path: string;
  /** Name inside its container, as stored there (it may contain folders). */
  name: string;
  type: DetectedType;
  /** Bytes: exact when inspected, else the size the container declares. */
  size: number;
  /**
   * 1 for members of the object itself, 2 for members of those, and so on. The file inside a
   * gzip stream keeps the depth of the stream, so a .tar.gz is one level.
   */
  depth: number;
  isEncrypted: boolean;
  status: InnerFileStatus;
}

/** A TNEF attachment, handed back to be scanned by clamd as an object of its own. */
export interface ExtractedFile {
  /** Long file name, else title, else display name, else "attachment-<n>". */
  name: string;
  /** Path as in `InnerFile.path`. */
  path: string;
  content: Buffer;
}

/** Result of the content inspection of one scan object. */
export interface Inspection {
  type: DetectedType;
  /** Every member found, depth first, in archive order. */
  entries: InnerFile[];
  /** True when any member is encrypted. */
  isProtected: boolean;
  /** True when an archive or a member could not be read as its format requires. */
  isCorrupted: boolean;
  limitBreaches: LimitBreach[];
  /**
   * Non-empty attachments of a TNEF object (and of messages attached in it), for a clamd scan
   * each. They and their members already appear in `entries`, so they need no second
   * inspection. Archive members are never extracted, because clamd unpacks archives itself.
   */
  extracted: ExtractedFile[];
}
