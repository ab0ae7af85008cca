import { sanitizeHeaderValue } from '@mailshield/common';

/** Maximum header line length this module writes, in characters before CRLF (RFC 5322 section 2.1.1 recommends 78). */
const FOLD_WIDTH = 76;

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
