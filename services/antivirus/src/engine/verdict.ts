/** Status of one scanned object or a whole message, from worst to best. */
export type ScanStatus = 'infected' | 'unscanned' | 'corrupted' | 'protected' | 'clean';

/**
 * A signature found anywhere is definitive, so infected outranks an object that could not be
 * scanned: the infected action applies, and the unscanned objects stay in the findings.
 */
const rank: Record<ScanStatus, number> = {
  infected: 4,
  unscanned: 3,
  corrupted: 2,
  protected: 1,
  clean: 0,
};

/** The worse of two statuses: an error never gives way to clean. */
export function worseStatus(a: ScanStatus, b: ScanStatus): ScanStatus {
  return rank[b] > rank[a] ? b : a;
}

/** The outcome of one clamd scan. */
export interface EngineVerdict {
  status: ScanStatus;
  /** Signature names clamd reported; empty when clean or on errors. */
  names: string[];
  /** Reason code for unscanned results. */
  reason: string | undefined;
  /** Human-readable detail of an error, for logs. */
  detail: string | undefined;
}

/**
 * Status of one clamd signature name. ClamAV reports its own limits and alerts as names:
 * Heuristics.Encrypted.* for encrypted archives and documents (with AlertEncrypted),
 * Heuristics.Limits.Exceeded.* when it stopped early (with AlertExceedsMax), and
 * Heuristics.Broken.* for damaged executables and media (with AlertBroken).
 */
export function statusOfName(name: string): ScanStatus {
  if (name.startsWith('Heuristics.Limits.Exceeded')) return 'unscanned';
  if (name.startsWith('Heuristics.Encrypted.')) return 'protected';
  if (name.startsWith('Heuristics.Broken.')) return 'corrupted';
  return 'infected';
}
