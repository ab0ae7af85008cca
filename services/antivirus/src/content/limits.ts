const MIB = 1024 * 1024;

/** Bounds on the work and memory of one inspection. */
export interface InspectLimits {
  /**
   * Archive nesting to open: members of the object are at depth 1, members of an archive
   * inside it at depth 2, and an archive at this depth is not opened. Default 10.
   */
  maxArchiveDepth: number;
  /** Bytes decompressed in total per inspected object, all levels together. Default 256 MiB. */
  maxExpandedBytes: number;
  /**
   * Size of one member. Must not exceed clamd's MaxFileSize, because clamd scans only the
   * first MaxFileSize bytes of a larger member and does not report it. Default 64 MiB.
   */
  maxMemberBytes: number;
  /** Expanded size over compressed size, for members over 1 MiB expanded. Default 700. */
  maxCompressionRatio: number;
  /** Members listed in total, all levels together. Default 10000. */
  maxEntries: number;
}

export const DEFAULT_INSPECT_LIMITS: Readonly<InspectLimits> = Object.freeze({
  maxArchiveDepth: 10,
  maxExpandedBytes: 256 * MIB,
  maxMemberBytes: 64 * MIB,
  maxCompressionRatio: 700,
  maxEntries: 10000,
});

/** Members expanding to at most this many bytes are exempt from the compression ratio. */
export const RATIO_EXEMPT_BYTES = MIB;

/**
 * Fills in defaults and checks every limit is a positive number (a whole number for the
 * depth and entry count). Throws a RangeError naming the first invalid limit.
 */
export function resolveInspectLimits(limits: Partial<InspectLimits> = {}): InspectLimits {
  const resolved: InspectLimits = { ...DEFAULT_INSPECT_LIMITS };
  for (const key of Object.keys(DEFAULT_INSPECT_LIMITS) as (keyof InspectLimits)[]) {
    const value = limits[key];
    if (value === undefined) continue;
    const isCount = key === 'maxArchiveDepth' || key === 'maxEntries';
    if (!(value > 0) || !Number.isFinite(value) || (isCount && !Number.isInteger(value)))
      throw new RangeError(`invalid inspect limit ${key}=${value}: expected a positive number`);
    resolved[key] = value;
  }
  return resolved;
}
