import { linesOf } from './lines.js';

export interface HeaderBlock {
  /** Unfolded fields in order; names lower-cased. */
  fields: [name: string, value: string][];
  /** Offset where the body starts (after the blank line), or the end when there is none. */
  bodyStart: number;
}

const FIELD_START = /^[!-9;-~]+[ \t]*:/;

/**
 * Parses the header block that starts at `start`. Lenient in the way mail clients are: a
 * non-blank line that is neither a new field nor indented continues the previous field, so a
 * parameter written on an unindented line still belongs to its Content-Type. An entity whose
 * first line is not a header field has no headers, and its body starts right there.
 */
export function parseHeaderBlock(buf: Buffer, start: number, end: number): HeaderBlock {
  const fields: [string, string][] = [];
  for (const line of linesOf(buf, start, end)) {
    const text = buf.toString('latin1', line.start, line.contentEnd);
    if (text.trim() === '') return { fields, bodyStart: line.next };
    if (FIELD_START.test(text)) {
      const colon = text.indexOf(':');
      fields.push([text.slice(0, colon).trim().toLowerCase(), text.slice(colon + 1).trim()]);
      continue;
    }
    if (fields.length === 0) return { fields, bodyStart: start };
    const last = fields[fields.length - 1]!;
    last[1] = `${last[1]} ${text.trim()}`.trim();
  }
  return { fields, bodyStart: end };
}

/** Every value of the field `name`, in order. */
export function fieldValues(block: HeaderBlock, name: string): string[] {
  return block.fields.filter(([field]) => field === name).map(([, value]) => value);
}
