import { sanitizeHeaderValue } from '@mailshield/common';
import { detectNewline } from '../mime/lines.js';
import type { ByteRange } from '../mime/types.js';

/** One part to cut out and what to say in its place. */
export interface PartReplacement {
  range: ByteRange;
  /** File name or part path shown in the notice. */
  name: string;
  /** Why the part was removed, as clauses such as "it contained Eicar-Test-Signature". */
  reasons: string[];
}

/**
 * Replaces each part's bytes (headers and body) with a text/plain notice. Boundary lines and
 * every byte outside the replaced ranges stay identical. Ranges inside another replaced
 * range are dropped, since the outer replacement already removes them.
 */
export function replaceParts(raw: Buffer, replacements: PartReplacement[]): Buffer {
  const newline = detectNewline(raw);
  const outermost = outermostRanges(replacements);
  const chunks: Buffer[] = [];
  let position = 0;
  for (const replacement of outermost) {
    chunks.push(raw.subarray(position, replacement.range.start));
    chunks.push(noticePart(replacement, newline));
    position = replacement.range.end;
  }
  chunks.push(raw.subarray(position));
  return Buffer.concat(chunks);
}

function outermostRanges(replacements: PartReplacement[]): PartReplacement[] {
  const sorted = [...replacements].sort(
    (a, b) => a.range.start - b.range.start || b.range.end - a.range.end,
  );
  const kept: PartReplacement[] = [];
  for (const replacement of sorted) {
    const last = kept[kept.length - 1];
    if (last !== undefined && replacement.range.start < last.range.end) {
      last.reasons = [...new Set([...last.reasons, ...replacement.reasons])];
      continue;
    }
    kept.push({ ...replacement, reasons: [...replacement.reasons] });
  }
  return kept;
}

/**
 * The notice part. It ends without a newline because the newline before the next delimiter
 * belongs to the delimiter (RFC 2046 section 5.1.1) and is kept.
 */
function noticePart(replacement: PartReplacement, newline: string): Buffer {
  const name = sanitizeHeaderValue(replacement.name);
  const reasons = replacement.reasons.map(sanitizeHeaderValue).join(', and ');
  const text = `This attachment (${name}) was removed by mailshield because ${reasons}.`;
  const isAscii = /^[\x20-\x7e]*$/.test(text);
  const lines = [
    'Content-Type: text/plain; charset=utf-8',
    `Content-Transfer-Encoding: ${isAscii ? '7bit' : '8bit'}`,
    'Content-Disposition: inline',
    '',
    text,
  ];
  return Buffer.from(lines.join(newline), 'utf8');
}
