import { RATIO_EXEMPT_BYTES, type InspectLimits } from './limits.js';
import type { BreachReason, ExtractedFile, InnerFile, LimitBreach } from './types.js';

/** The maximum output of one expansion, and the breach to record when the output passes it. */
export interface ExpansionCap {
  maxBytes: number;
  reason: BreachReason;
}

/** Results and spent budget of one inspection, shared by every level of the recursion. */
export class InspectionState {
  readonly entries: InnerFile[] = [];
  readonly extracted: ExtractedFile[] = [];
  isProtected = false;
  isCorrupted = false;
  private expandedBytes = 0;
  private readonly breaches = new Map<BreachReason, LimitBreach>();

  constructor(readonly limits: InspectLimits) {}

  /**
   * Records a breach; later breaches of the same reason only raise its count. Control
   * characters of member names become "?" in the detail, which ends up in logs and findings.
   */
  breach(reason: BreachReason, detail: string): void {
    const known = this.breaches.get(reason);
    if (known !== undefined) known.count++;
    else
      this.breaches.set(reason, {
        reason,
        detail: detail.replace(/[\x00-\x1f\x7f]/g, '?'),
        count: 1,
      });
  }

  limitBreaches(): LimitBreach[] {
    return [...this.breaches.values()];
  }

  /** Returns true once as many entries as allowed are listed, and records the breach. */
  isFull(path: string): boolean {
    if (this.entries.length < this.limits.maxEntries) return false;
    this.noteTooManyEntries(path);
    return true;
  }

  /** Records the entry limit as breached at `path`, once. */
  noteTooManyEntries(path: string): void {
    if (this.breaches.has('too-many-entries')) return;
    this.breach('too-many-entries', `more than ${this.limits.maxEntries} members, at ${path}`);
  }

  /** Entries that may still be listed. */
  entriesLeft(): number {
    return Math.max(0, this.limits.maxEntries - this.entries.length);
  }

  /** Bytes that may still be decompressed. */
  expansionLeft(): number {
    return Math.max(0, this.limits.maxExpandedBytes - this.expandedBytes);
  }

  /** Counts decompressed bytes, including those of expansions stopped at a limit. */
  spend(bytes: number): void {
    this.expandedBytes += bytes;
  }

  /**
   * Returns the tightest bound on one expansion of `compressedBytes`: the compression ratio
   * (never below the exempt size), the member size, or what is left of the total.
   */
  capFor(compressedBytes: number): ExpansionCap {
    const { maxCompressionRatio, maxMemberBytes } = this.limits;
    const byRatio = Math.max(RATIO_EXEMPT_BYTES, Math.floor(compressedBytes * maxCompressionRatio));
    const caps: ExpansionCap[] = [
      { maxBytes: byRatio, reason: 'compression-ratio' },
      { maxBytes: maxMemberBytes, reason: 'member-too-large' },
      { maxBytes: this.expansionLeft(), reason: 'expansion-too-large' },
    ];
    return caps.reduce((tightest, cap) => (cap.maxBytes < tightest.maxBytes ? cap : tightest));
  }

  /**
   * Checks a size that a container declares before any expansion, so an honest bomb costs
   * nothing. Returns the breach to record, or undefined when the size is within the limits.
   */
  declaredBreach(declaredBytes: number, compressedBytes: number): ExpansionCap | undefined {
    const { maxCompressionRatio, maxMemberBytes } = this.limits;
    if (declaredBytes > maxMemberBytes)
      return { maxBytes: maxMemberBytes, reason: 'member-too-large' };
    const ratio = declaredBytes / Math.max(1, compressedBytes);
    if (declaredBytes > RATIO_EXEMPT_BYTES && ratio > maxCompressionRatio)
      return {
        maxBytes: Math.floor(compressedBytes * maxCompressionRatio),
        reason: 'compression-ratio',
      };
    return undefined;
  }
}
