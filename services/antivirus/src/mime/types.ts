/** Half-open byte range [start, end) within the raw message. */
export interface ByteRange {
  start: number;
  end: number;
}

/** One entity of the MIME tree: a multipart container, an embedded message or a leaf. */
export interface MimeNode {
  /**
   * IMAP-style part path: "" for the top-level message, "1", "1.2"... for parts. A leaf that is
   * the whole body of a single-part message gets "1".
   */
  path: string;
  kind: 'multipart' | 'message' | 'leaf';
  /** Lower-case `type/subtype`; text/plain when the part declares none. */
  contentType: string;
  /** Decoded file name from Content-Disposition filename or Content-Type name. */
  fileName: string | undefined;
  /**
   * Every distinct name the part gives itself: the Content-Disposition filename and the
   * Content-Type name, which a sender can set to different values.
   */
  fileNames: string[];
  /** Lower-case Content-Transfer-Encoding; 7bit when the part declares none. */
  transferEncoding: string;
  /**
   * Bytes of the whole entity (headers and body) in the raw message, or undefined when the entity
   * sits inside a transfer-encoded container and has no bytes of its own there.
   */
  range: ByteRange | undefined;
  /**
   * Range of the nearest entity, this one or an ancestor, that does have bytes in the raw message
   * and is not the top-level message: what a part replacement must cut. Undefined for the
   * top-level message and for single-part bodies.
   */
  replaceableRange: ByteRange | undefined;
  /** True when this node comes from a second reading of duplicate Content-Type headers. */
  isAlternativeReading: boolean;
  children: MimeNode[];
  /** Other readings of the same bytes, one per further distinct Content-Type header. */
  alternatives: MimeNode[];
  /** Decoded body of a leaf; empty for containers. */
  content: Buffer;
}

/** A uuencoded file found inside a text leaf. */
export interface UuencodedObject {
  /** Path of the leaf that contains it. */
  partPath: string;
  fileName: string;
  content: Buffer;
  /** Where a replacement must cut: the containing leaf's replaceable range, if any. */
  replaceableRange: ByteRange | undefined;
}

export interface MimeTree {
  root: MimeNode;
  /** Leaves in document order, including those of alternative readings. */
  leaves: MimeNode[];
  uuencoded: UuencodedObject[];
  /** True when nesting went past the depth limit; deeper entities were scanned as opaque leaves. */
  isTooDeep: boolean;
  /** Parts of every multipart entity walked, up to one past maxParts. */
  partCount: number;
  /** True when the message has more parts than maxParts; the walk stopped there. */
  hasTooManyParts: boolean;
}

export interface WalkOptions {
  /** Maximum nesting of multipart and message entities. Default 20. */
  maxDepth?: number;
  /** Parts of multipart entities walked before the walk stops. Default: no limit. */
  maxParts?: number;
}
