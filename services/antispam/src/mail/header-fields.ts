import { headerEnd, sanitizeHeaderValue } from '@mailshield/common';

/** Maximum header line length this module writes, in characters before CRLF (RFC 5322 section 2.1.1 recommends 78). */
const FOLD_WIDTH = 76;

/**
 * Returns a copy of `raw` without the header fields named in `names` (case-insensitive),
 * continuation lines included. The body bytes are copied unchanged.
 */
export function removeHeaderFields(raw: Buffer, names: readonly string[]): Buffer {
  const end = headerEnd(raw);
  const lower = new Set(names.map((name) => name.toLowerCase()));
  const kept: Buffer[] = [];
  let isDropping = false;
  let start = 0;
  while (start < end) {
    const newline = raw.indexOf(0x0a, start);
    const lineEnd = newline === -1 || newline >= end ? end : newline + 1;
    const line = raw.subarray(start, lineEnd);
    const isContinuation = line[0] === 0x20 || line[0] === 0x09;
    if (!isContinuation) {
      const colon = line.indexOf(0x3a);
      const name = colon > 0 ? line.subarray(0, colon).toString('latin1').trim().toLowerCase() : '';
      isDropping = lower.has(name);
    }
    if (!isDropping) kept.push(line);
    start = lineEnd;
  }
  if (kept.length === 0 || kept.reduce((sum, line) => sum + line.length, 0) === end) return raw;
  return Buffer.concat([...kept, raw.subarray(end)]);
}

/**
 * Formats one header field from its items, joined by `separator` and folded at spaces
 * (RFC 5322 section 2.2.3) so that lines stay within FOLD_WIDTH characters unless one word is
 * longer. Items are sanitized so that they cannot start a new field.
 */
export function formatFoldedField(name: string, items: string[], separator = ', '): string {
  const value = items
    .map(sanitizeHeaderValue)
    .filter((item) => item !== '')
    .join(separator);
  let out = `${name}:`;
  let lineLength = out.length;
  for (const word of value.split(' ').filter((part) => part !== '')) {
    if (lineLength + 1 + word.length > FOLD_WIDTH && lineLength > name.length + 1) {
      out += '\r\n';
      lineLength = 0;
    }
    out += ` ${word}`;
    lineLength += 1 + word.length;
  }
  return `${out}\r\n`;
}

/** Puts already formatted header fields (each ending in CRLF) in front of the message. */
export function prependFormattedFields(raw: Buffer, fields: string[]): Buffer {
  return Buffer.concat([Buffer.from(fields.join(''), 'utf8'), raw]);
}
