/** One regular file in a tar archive. */
export interface TarEntry {
  /** Path from the header, with the ustar prefix, a GNU long name or a PAX path applied. */
  name: string;
  size: number;
  /** Offset of the file data in the archive buffer. */
  dataOffset: number;
}

export interface TarListing {
  entries: TarEntry[];
  /** True when a header checksum is wrong or a file runs past the end of the archive. */
  isCorrupted: boolean;
  /** True when the archive has more files than `maxEntries`; the rest are not listed. */
  isTruncated: boolean;
}

const BLOCK = 512;

/**
 * True when a 512-byte block is a tar header: its checksum field (octal at offset 148) equals
 * the sum of the header bytes with that field counted as spaces. This also recognises
 * pre-POSIX archives, which have no "ustar" magic.
 */
export function isTarHeader(data: Buffer, offset = 0): boolean {
  if (offset + BLOCK > data.length || data[offset] === 0) return false;
  const stored = readOctal(data, offset + 148, 8);
  if (stored === undefined) return false;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : data[offset + i]!;
  return sum === stored;
}

/**
 * Lists the regular files of a tar archive (ustar, GNU and PAX). Links, directories and
 * devices have no data and are left out. Never throws; reads only inside `data`.
 */
export function listTar(data: Buffer, maxEntries = 10000): TarListing {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= data.length && data[offset] !== 0) {
    if (!isTarHeader(data, offset)) return { entries, isCorrupted: true, isTruncated: false };
    const size = readSize(data, offset + 124);
    const dataOffset = offset + BLOCK;
    if (size === undefined || dataOffset + size > data.length)
      return { entries, isCorrupted: true, isTruncated: false };
    const type = String.fromCharCode(data[offset + 156]!);
    const body = data.subarray(dataOffset, dataOffset + size);
    if (type === 'L') longName = body.toString('utf8').replace(/\0.*$/s, '');
    else if (type === 'x') longName = paxPath(body) ?? longName;
    else if (type === '0' || type === '\0' || type === '7') {
      if (entries.length >= maxEntries) return { entries, isCorrupted: false, isTruncated: true };
      entries.push({ name: longName ?? headerName(data, offset), size, dataOffset });
      longName = undefined;
    } else longName = undefined;
    offset = dataOffset + Math.ceil(size / BLOCK) * BLOCK;
  }
  return { entries, isCorrupted: false, isTruncated: false };
}

function headerName(data: Buffer, offset: number): string {
  const name = cString(data, offset, 100);
  const isUstar = data.toString('latin1', offset + 257, offset + 262) === 'ustar';
  const prefix = isUstar ? cString(data, offset + 345, 155) : '';
  return prefix === '' ? name : `${prefix}/${name}`;
}

function cString(data: Buffer, offset: number, length: number): string {
  const field = data.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.toString('utf8', 0, end < 0 ? field.length : end);
}

/** Reads the `path` record of a PAX extended header ("<length> path=<value>\n"). */
function paxPath(body: Buffer): string | undefined {
  const match = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
  return match?.[1];
}

/** Size field: octal text, or base-256 when the high bit of the first byte is set (GNU). */
function readSize(data: Buffer, offset: number): number | undefined {
  if ((data[offset]! & 0x80) === 0) return readOctal(data, offset, 12);
  let size = 0;
  for (let i = 1; i < 12; i++) size = size * 256 + data[offset + i]!;
  return size;
}

function readOctal(data: Buffer, offset: number, length: number): number | undefined {
  const text = data.toString('latin1', offset, offset + length).replace(/[\0 ]+$/, '');
  const trimmed = text.trim();
  if (!/^[0-7]+$/.test(trimmed)) return undefined;
  return parseInt(trimmed, 8);
}
