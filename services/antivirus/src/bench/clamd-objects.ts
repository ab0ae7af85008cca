import { createHash } from 'node:crypto';
import type { ScanSettings } from '../scan/scan-message.js';
import { inspectObjects } from '../scan/inspect-objects.js';
import { checkMessageSize, checkTreeLimits } from '../scan/message-limits.js';
import { collectScanObjects } from '../scan/scan-objects.js';
import { walkMessage } from '../mime/walker.js';

/**
 * Lists the bytes scanMessage sends to clamd for `raw`, in its order, by the same steps as
 * scan/scan-message.ts but without clamd. A message over a limit of the whole message sends
 * nothing. Otherwise the raw message and every decoded object go, except objects withheld
 * for an archive over the limits, which keep the raw message back too.
 */
export function clamdObjects(raw: Buffer, settings: ScanSettings): Buffer[] {
  if (checkMessageSize(raw, settings.limits) !== undefined) return [];
  const tree = walkMessage(raw, {
    maxDepth: settings.limits.maxMimeDepth,
    maxParts: settings.limits.maxParts,
  });
  if (checkTreeLimits(tree, settings.limits).length > 0) return [];
  const { objects, findings } = inspectObjects(collectScanObjects(raw, tree), settings);
  const isRawWithheld = findings.some((own) => own.isWithheld);
  return objects.flatMap((object, index) => {
    if (findings[index]!.isWithheld) return [];
    if (object.kind === 'message' && isRawWithheld) return [];
    return [object.content];
  });
}

/**
 * Counts the objects whose bytes were added before. Every copy of the mix must be new to
 * clamd and to the antivirus' cache, so the benchmark feeds it every object of every copy and
 * prints the count, which should be 0.
 */
export class RepeatCounter {
  private readonly seen = new Set<string>();
  private count = 0;

  get repeated(): number {
    return this.count;
  }

  add(objects: readonly Buffer[]): void {
    for (const object of objects) {
      const key = createHash('sha256').update(object).digest('base64');
      if (this.seen.has(key)) this.count++;
      else this.seen.add(key);
    }
  }
}
