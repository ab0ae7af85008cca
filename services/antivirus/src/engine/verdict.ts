import { AvReason } from '../errors.js';

/** Status of one scanned object or a whole message, from worst to best. */
export type ScanStatus = 'infected' | 'blocked' | 'unscanned' | 'corrupted' | 'protected' | 'clean';

/**
 * A signature found anywhere is definitive, so infected outranks an object that could not be
 * scanned. An attachment blocked by a policy rule comes next, because the rule is as certain
 * as a signature. The status only names the message: each object keeps its own action.
 */
const rank: Record<ScanStatus, number> = {
  infected: 5,
  blocked: 4,
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

/** Returns an unscanned verdict: `reason` is an AvReason code, `detail` describes the failure. */
export function unscannedVerdict(reason: string, detail: string): EngineVerdict {
  return { status: 'unscanned', names: [], reason, detail };
}

/**
 * Returns the verdict for the signature names clamd reported: clean for none, else the worst status
 * of the names, unscanned (AV_LIMITS_EXCEEDED) when clamd stopped at one of its limits.
 */
export function verdictOfNames(names: string[]): EngineVerdict {
  const status = names.map(statusOfName).reduce<ScanStatus>(worseStatus, 'clean');
  const reason = status === 'unscanned' ? AvReason.limitsExceeded : undefined;
  return { status, names: [...names], reason, detail: undefined };
}
