import { decodeCharset, fromHeaderBytes } from './charset.js';
import { decodeEncodedWords } from './encoded-words.js';

export interface ParsedFieldValue {
  /** Lower-case main value, such as `multipart/mixed` or `attachment`. */
  value: string;
  /** Parameters by lower-case name, with RFC 2231 sections joined and decoded. */
  params: Map<string, string>;
}

interface RawParam {
  name: string;
  section: number | undefined;
  isExtended: boolean;
  value: string;
}

/**
 * Parses a structured field value such as Content-Type or Content-Disposition. Handles
 * quoted strings with backslash escapes, RFC 2231 continuations (`name*0`, `name*1*`) and
 * charset-tagged values (`name*=utf-8''%E2%82%AC`), and RFC 2047 words inside values.
 */
export function parseFieldValue(text: string): ParsedFieldValue {
  const pieces = splitParams(text);
  const value = (pieces.shift() ?? '').trim().toLowerCase();
  const raw: RawParam[] = [];
  for (const piece of pieces) {
    const parsed = parseParam(piece);
    if (parsed !== undefined) raw.push(parsed);
  }
  return { value, params: joinParams(raw) };
}

/** Splits on semicolons outside quoted strings, keeping quotes and escapes for later. */
function splitParams(text: string): string[] {
  const pieces: string[] = [];
  let current = '';
  let isQuoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (isQuoted && char === '\\' && i + 1 < text.length) {
      current += char + text[++i]!;
      continue;
    }
    if (char === '"') isQuoted = !isQuoted;
    if (char === ';' && !isQuoted) {
      pieces.push(current);
      current = '';
      continue;
    }
    current += char;
  }
  pieces.push(current);
  return pieces;
}

function parseParam(piece: string): RawParam | undefined {
  const equals = piece.indexOf('=');
  if (equals <= 0) return undefined;
  const fullName = piece.slice(0, equals).trim().toLowerCase();
  const match = /^([^*]+)(?:\*(\d+))?(\*)?$/.exec(fullName);
  if (match === null) return undefined;
  return {
    name: match[1]!,
    section: match[2] === undefined ? undefined : Number(match[2]),
    isExtended: match[3] !== undefined,
    value: unquote(piece.slice(equals + 1).trim()),
  };
}

function unquote(text: string): string {
  if (!text.startsWith('"')) return text;
  const closing = text.lastIndexOf('"');
  const inner = closing > 0 ? text.slice(1, closing) : text.slice(1);
  return inner.replace(/\\(.)/g, '$1');
}

/** Joins RFC 2231 sections in order and decodes the percent-encoded ones. */
function joinParams(raw: RawParam[]): Map<string, string> {
  const byName = new Map<string, RawParam[]>();
  for (const param of raw) {
    const list = byName.get(param.name) ?? [];
    list.push(param);
    byName.set(param.name, list);
  }
  const params = new Map<string, string>();
  for (const [name, list] of byName) params.set(name, joinSections(list));
  return params;
}

function joinSections(list: RawParam[]): string {
  const sections = list.filter((param) => param.section !== undefined);
  // A plain `name=` and a sectioned `name*0=` may both be present; the sections carry more.
  const ordered =
    sections.length > 0 ? sections.sort((a, b) => a.section! - b.section!) : list.slice(0, 1);
  const first = ordered[0]!;
  let charset = '';
  const bytes: Buffer[] = [];
  let plain = '';
  for (const param of ordered) {
    let text = param.value;
    if (param.isExtended && param === first) {
      const parts = /^([^']*)'[^']*'(.*)$/s.exec(text);
      if (parts !== null) {
        charset = parts[1]!;
        text = parts[2]!;
      }
    }
    if (param.isExtended) bytes.push(percentDecode(text));
    else bytes.push(Buffer.from(text, 'latin1'));
    plain += text;
  }
  const isAnyExtended = ordered.some((param) => param.isExtended);
  if (!isAnyExtended) return decodeEncodedWords(fromHeaderBytes(plain));
  return decodeCharset(Buffer.concat(bytes), charset);
}

function percentDecode(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else {
      out.push(text.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(out);
}
