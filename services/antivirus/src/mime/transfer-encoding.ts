import { decodeUuencodedLines } from './uuencode.js';

/**
 * Decodes base64 and ignores every byte outside the base64 alphabet (line breaks, spaces,
 * junk). `=` padding in the middle of the data ends one segment and the next segment is
 * decoded on its own, so bytes hidden after a premature `=` are still decoded and scanned.
 */
export function decodeBase64(data: Buffer): Buffer {
  // Node's decoder skips line breaks itself, so clean base64 needs no copy without them.
  if (isPlainBase64(data)) return Buffer.from(data.toString('latin1'), 'base64');
  const segments = data
    .toString('latin1')
    .replace(/[^A-Za-z0-9+/=]/g, '')
    .split(/=+/);
  return Buffer.concat(
    segments.map((segment) => {
      const usable = segment.length - (segment.length % 4 === 1 ? 1 : 0);
      return Buffer.from(segment.slice(0, usable), 'base64');
    }),
  );
}

/** 1 for the base64 alphabet, 2 for CR and LF, 0 for every other byte. */
const base64Class = new Uint8Array(256);
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  base64Class[char.charCodeAt(0)] = 1;
base64Class[0x0a] = 2;
base64Class[0x0d] = 2;

/**
 * Checks that `data` is the alphabet and line breaks only, with `=` padding at the very end
 * and no dangling sixth bit, which Node's decoder reads exactly as `decodeBase64` does.
 */
function isPlainBase64(data: Buffer): boolean {
  let end = data.length;
  while (end > 0 && (data[end - 1] === 0x3d || base64Class[data[end - 1]!] === 2)) end--;
  let count = 0;
  for (let i = 0; i < end; i++) {
    const kind = base64Class[data[i]!];
    if (kind === 0) return false;
    if (kind === 1) count++;
  }
  return count % 4 !== 1;
}

const EQUALS = 0x3d;
const CR = 0x0d;
const LF = 0x0a;

/**
 * Decodes quoted-printable (RFC 2045 section 6.7): `=XX` escapes in either case and soft line
 * breaks (`=` before CRLF or LF, with trailing blanks allowed). An `=` that starts neither is
 * kept as it is, like most mail clients do.
 */
export function decodeQuotedPrintable(data: Buffer): Buffer {
  const out = Buffer.alloc(data.length);
  let length = 0;
  for (let i = 0; i < data.length; i++) {
    const byte = data[i]!;
    if (byte !== EQUALS) {
      out[length++] = byte;
      continue;
    }
    const softBreakEnd = softBreakAfter(data, i + 1);
    if (softBreakEnd !== undefined) {
      i = softBreakEnd - 1;
      continue;
    }
    const hex = data.toString('latin1', i + 1, i + 3);
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      out[length++] = parseInt(hex, 16);
      i += 2;
      continue;
    }
    out[length++] = byte;
  }
  return out.subarray(0, length);
}

/** End of a soft line break starting at `from` (blanks then a newline), if there is one. */
function softBreakAfter(data: Buffer, from: number): number | undefined {
  let i = from;
  while (i < data.length && (data[i] === 0x20 || data[i] === 0x09)) i++;
  if (i < data.length && data[i] === CR && data[i + 1] === LF) return i + 2;
  if (i < data.length && data[i] === LF) return i + 1;
  if (i === data.length && i > from) return i;
  return undefined;
}

/**
 * Decodes a body by its Content-Transfer-Encoding. 7bit, 8bit, binary and unknown encodings
 * are passed through, so an unknown label never hides the bytes from the scanner.
 */
export function decodeTransfer(body: Buffer, encoding: string): Buffer {
  switch (encoding) {
    case 'base64':
      return decodeBase64(body);
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    case 'x-uuencode':
    case 'uuencode':
    case 'x-uue':
      return decodeUuencodedLines(body.toString('latin1').split(/\r?\n/), true);
    default:
      return body;
  }
}
