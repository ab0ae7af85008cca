/**
 * Header edits on raw RFC 5322 messages that leave the body byte-for-byte unchanged.
 * Header values added here are folded text with CR and LF removed, so nothing that came from
 * a message or an envelope can inject a header.
 */

const CRLF = Buffer.from('\r\n');

/** Byte offset where the body starts (just after the blank line), or the length if none. */
export function headerEnd(raw: Buffer): number {
  const crlf = raw.indexOf('\r\n\r\n');
  const lf = raw.indexOf('\n\n');
  if (crlf === -1 && lf === -1) return raw.length;
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return crlf + 4;
  return lf + 2;
}

/** Removes CR, LF and other control characters from a header value. */
export function sanitizeHeaderValue(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

/** Returns a copy of `raw` with the given header fields put in front of the existing ones. */
export function prependHeaders(raw: Buffer, fields: [name: string, value: string][]): Buffer {
  const lines = fields.map(([name, value]) => `${name}: ${sanitizeHeaderValue(value)}\r\n`);
  return Buffer.concat([Buffer.from(lines.join(''), 'utf8'), raw]);
}

/** Unfolded header fields of the message, in order, names as written. */
export function readHeaders(raw: Buffer): [name: string, value: string][] {
  const text = raw.subarray(0, headerEnd(raw)).toString('latin1');
  const fields: [string, string][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === '') continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && fields.length > 0) {
      const last = fields[fields.length - 1]!;
      last[1] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return fields;
}

/** Value of the first header field named `name` (case-insensitive), or undefined. */
export function getHeader(raw: Buffer, name: string): string | undefined {
  const lower = name.toLowerCase();
  return readHeaders(raw).find(([field]) => field.toLowerCase() === lower)?.[1];
}

/**
 * Prefixes the Subject with `tag` (once), or adds a Subject when there is none. The rest of
 * the header block and the body are copied unchanged.
 */
export function tagSubject(raw: Buffer, tag: string): Buffer {
  const end = headerEnd(raw);
  const head = raw.subarray(0, end).toString('latin1');
  const match = /(^|\n)(subject:[ \t]*)/i.exec(head);
  const cleanTag = sanitizeHeaderValue(tag);
  if (match === null) return prependHeaders(raw, [['Subject', cleanTag]]);
  const valueStart = match.index + match[1]!.length + match[2]!.length;
  if (head.slice(valueStart).startsWith(cleanTag)) return raw;
  return Buffer.concat([
    raw.subarray(0, valueStart),
    Buffer.from(`${cleanTag} `, 'latin1'),
    raw.subarray(valueStart),
  ]);
}

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

export { CRLF };
