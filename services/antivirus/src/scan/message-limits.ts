import type { ScanLimits } from '@mailshield/proto/policy';
import { AvReason } from '../errors.js';
import type { EngineVerdict } from '../engine/verdict.js';
import type { MimeTree } from '../mime/types.js';

/** Returns an unscanned verdict for a limit. Limits give the same result every time, so they never cause a retry. */
export function limitVerdict(reason: string, detail: string): EngineVerdict {
  return { status: 'unscanned', names: [], reason, detail };
}

/** Returns a verdict when the raw message is over the size limit, before it is parsed. */
export function checkMessageSize(raw: Buffer, limits: ScanLimits): EngineVerdict | undefined {
  if (raw.length <= limits.maxMessageBytes) return undefined;
  return limitVerdict(
    AvReason.messageTooLarge,
    `message of ${raw.length} bytes is over the limit of ${limits.maxMessageBytes}`,
  );
}

/** Returns a verdict for each limit of the MIME structure that the message exceeds. */
export function checkTreeLimits(tree: MimeTree, limits: ScanLimits): EngineVerdict[] {
  const verdicts: EngineVerdict[] = [];
  if (tree.isTooDeep) {
    verdicts.push(
      limitVerdict(AvReason.mimeTooDeep, `MIME nesting deeper than ${limits.maxMimeDepth}`),
    );
  }
  if (tree.hasTooManyParts) {
    verdicts.push(limitVerdict(AvReason.tooManyParts, `more than ${limits.maxParts} MIME parts`));
  }
  // A fragment of message/partial is only one piece of a message that the recipient's client
  // would join, so no piece can be judged alone.
  if (tree.leaves.some((leaf) => leaf.contentType === 'message/partial')) {
    verdicts.push(
      limitVerdict(AvReason.unsupportedContent, 'message/partial fragments cannot be scanned'),
    );
  }
  const decoded = tree.leaves.reduce((sum, leaf) => sum + leaf.content.length, 0);
  if (decoded > limits.maxDecodedBytes) {
    verdicts.push(
      limitVerdict(
        AvReason.decodedTooLarge,
        `parts decode to ${decoded} bytes, over the limit of ${limits.maxDecodedBytes}`,
      ),
    );
  }
  return verdicts;
}
