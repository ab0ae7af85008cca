import { crc32 } from 'node:zlib';
import { gunzipBounded, inflateBounded, peekInflated, type BoundedOutput } from './inflate.js';

/** Header fields of a gzip member (RFC 1952 section 2.3). */
export interface GzipHeader {
  /** Original file name (FNAME), in ISO 8859-1 as RFC 1952 requires. */
  fileName: string | undefined;
  /** Offset of the deflate data. */
  dataOffset: number;
  /**
   * ISIZE from the last four bytes: the size modulo 2^32 that the writer claims. A hint only,
   * never a bound.
   */
  declaredSize: number;
}

const FLAG_HCRC = 0x02;
const FLAG_EXTRA = 0x04;
const FLAG_NAME = 0x08;
const FLAG_COMMENT = 0x10;
const FIXED_HEADER = 10;
const TRAILER = 8;

/** Reads the header of a gzip file; undefined when it is not gzip or the header is cut short. */
export function readGzipHeader(data: Buffer): GzipHeader | undefined {
  if (data.length < FIXED_HEADER + TRAILER) return undefined;
  if (data[0] !== 0x1f || data[1] !== 0x8b || data[2] !== 8) return undefined;
  const flags = data[3]!;
  let offset = FIXED_HEADER;
  if ((flags & FLAG_EXTRA) !== 0) {
    if (offset + 2 > data.length) return undefined;
    offset += 2 + data.readUInt16LE(offset);
  }
  let fileName: string | undefined;
  if ((flags & FLAG_NAME) !== 0) {
    const end = data.indexOf(0, offset);
    if (end < 0) return undefined;
    fileName = data.toString('latin1', offset, end);
    offset = end + 1;
  }
  if ((flags & FLAG_COMMENT) !== 0) {
    const end = data.indexOf(0, offset);
    if (end < 0) return undefined;
    offset = end + 1;
  }
  if ((flags & FLAG_HCRC) !== 0) offset += 2;
  if (offset > data.length) return undefined;
  return { fileName, dataOffset: offset, declaredSize: data.readUInt32LE(data.length - 4) };
}

/**
 * Expands a gzip file, stopping once the output passes `maxBytes`. Concatenated members are
 * expanded together. When bytes follow the last member (padding or junk, which zlib's gunzip
 * rejects), the first member alone is expanded and checked against a CRC-32 and ISIZE
 * trailer found after it. That second pass makes the work at most twice `maxBytes`.
 */
export function expandGzip(data: Buffer, maxBytes: number): BoundedOutput {
  const header = readGzipHeader(data);
  if (header === undefined) return { status: 'corrupted', detail: 'no gzip header' };
  const whole = gunzipBounded(data, maxBytes);
  if (whole.status !== 'corrupted') return whole;
  const first = inflateBounded(data.subarray(header.dataOffset), maxBytes);
  if (first.status !== 'complete') return first.status === 'over-limit' ? first : whole;
  const trailer = Buffer.alloc(TRAILER);
  trailer.writeUInt32LE(crc32(first.content), 0);
  trailer.writeUInt32LE(first.content.length % 2 ** 32, 4);
  return data.indexOf(trailer, header.dataOffset) >= 0 ? first : whole;
}

/** Reads the first bytes of the gzip content, to recognise its type without expanding it. */
export function peekGzip(data: Buffer): Buffer {
  const header = readGzipHeader(data);
  return header === undefined ? Buffer.alloc(0) : peekInflated(data.subarray(header.dataOffset));
}
