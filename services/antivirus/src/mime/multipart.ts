import { linesOf } from './lines.js';
import type { ByteRange } from './types.js';

export interface MultipartSplit {
  /** Each body part: from after its delimiter line to before the newline of the next one. */
  parts: ByteRange[];
  /** False when the body ends without the close delimiter `--boundary--`. */
  isClosed: boolean;
  /** Text before the first delimiter, and after the close delimiter. */
  preamble: ByteRange;
  epilogue: ByteRange;
}

/**
 * Splits a multipart body in buf[start, end) into its body parts (RFC 2046 section 5.1.1).
 * A delimiter is a whole line: `--` + boundary, optionally `--`, then only blanks. Matching
 * whole lines, not substrings or prefixes, keeps an inner boundary that contains the outer
 * one (`--section` inside `section`) from ending the outer part. A missing close delimiter
 * ends the last part at the end of the body.
 */
export function splitMultipart(
  buf: Buffer,
  start: number,
  end: number,
  boundary: string,
): MultipartSplit {
  const delimiter = `--${boundary}`;
  const parts: ByteRange[] = [];
  let partStart: number | undefined;
  let previousNewlineStart = start;
  let preamble: ByteRange = { start, end };
  for (const line of linesOf(buf, start, end)) {
    // Most lines do not start with "--", and making a string of each would cost more.
    const isCandidate = buf[line.start] === 0x2d && buf[line.start + 1] === 0x2d;
    const kind = isCandidate
      ? delimiterKind(buf.toString('latin1', line.start, line.contentEnd), delimiter)
      : undefined;
    if (kind !== undefined) {
      // The newline before a delimiter belongs to the delimiter, not to the part.
      if (partStart !== undefined)
        parts.push({ start: partStart, end: Math.max(partStart, previousNewlineStart) });
      else preamble = { start, end: Math.max(start, previousNewlineStart) };
      if (kind === 'close') {
        return { parts, isClosed: true, preamble, epilogue: { start: line.next, end } };
      }
      partStart = line.next;
    }
    previousNewlineStart = line.contentEnd;
  }
  if (partStart !== undefined) parts.push({ start: partStart, end });
  return { parts, isClosed: false, preamble, epilogue: { start: end, end } };
}

function delimiterKind(text: string, delimiter: string): 'open' | 'close' | undefined {
  if (!text.startsWith(delimiter)) return undefined;
  const rest = text.slice(delimiter.length).replace(/[ \t]+$/, '');
  if (rest === '') return 'open';
  if (rest === '--') return 'close';
  return undefined;
}
