import { createHash } from 'node:crypto';
import { prependHeaders } from '@mailshield/common';
import { parseHeaderBlock } from '../mime/header-block.js';
import { walkMessage } from '../mime/walker.js';

/** Header field that makes each benchmark message unique. */
export const MARKER_HEADER = 'X-Mailshield-Bench';

/** Transfer encodings whose body takes a plain ASCII line as it is. */
const TEXT_ENCODINGS = new Set(['7bit', '8bit', 'binary', 'quoted-printable']);

/**
 * Makes a corpus message unique: a header field with `marker`, and a line with `marker` at
 * the start of every part's body, so the decoded parts that go to clamd one by one are new
 * bytes too. A base64 part gets 24 bytes derived from the marker, encoded as one line of 32
 * characters, which keeps the base64 groups of the rest aligned. Parts inside an encoded
 * container have no bytes of their own and stay as they are.
 */
export function freshenMessage(raw: Buffer, marker: string): Buffer {
  const tree = walkMessage(raw);
  const insertions: { at: number; line: Buffer }[] = [];
  tree.leaves.forEach((leaf, index) => {
    if (leaf.range === undefined || leaf.isAlternativeReading) return;
    const line = markerLine(leaf.transferEncoding, `${marker} part ${index + 1}`);
    if (line === undefined) return;
    const { bodyStart } = parseHeaderBlock(raw, leaf.range.start, leaf.range.end);
    insertions.push({ at: bodyStart, line });
  });
  insertions.sort((a, b) => a.at - b.at);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const { at, line } of insertions) {
    pieces.push(raw.subarray(from, at), line);
    from = at;
  }
  pieces.push(raw.subarray(from));
  return prependHeaders(Buffer.concat(pieces), [[MARKER_HEADER, marker]]);
}

function markerLine(transferEncoding: string, text: string): Buffer | undefined {
  if (TEXT_ENCODINGS.has(transferEncoding)) return Buffer.from(`${text}\r\n`, 'latin1');
  if (transferEncoding === 'base64') {
    const bytes = createHash('sha256').update(text).digest().subarray(0, 24);
    return Buffer.from(`${bytes.toString('base64')}\r\n`, 'latin1');
  }
  return undefined;
}
