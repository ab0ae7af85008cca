import { crc32 } from 'node:zlib';
import type { BusRecord } from './types.js';

/**
 * On-disk frame of one journal record:
 * `u32 length | u32 crc32(body) | body`, where body is
 * `u16 keyLength | key | u32 headersLength | headers JSON | value`.
 * A frame whose length runs past the end of the file, or whose checksum does not match, is a
 * torn write from a crash; the journal truncates the file there on start.
 */
export const FRAME_HEADER_BYTES = 8;

export function encodeFrame(record: BusRecord): Buffer {
  const key = Buffer.from(record.key, 'utf8');
  const headers = Buffer.from(JSON.stringify(record.headers), 'utf8');
  const body = Buffer.allocUnsafe(2 + key.length + 4 + headers.length + record.value.length);
  let at = body.writeUInt16BE(key.length, 0);
  at += key.copy(body, at);
  at = body.writeUInt32BE(headers.length, at);
  at += headers.copy(body, at);
  record.value.copy(body, at);
  const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  head.writeUInt32BE(body.length, 0);
  head.writeUInt32BE(crc32(body), 4);
  return Buffer.concat([head, body]);
}

/** Decodes the frame body; the caller has checked the length and checksum. */
export function decodeFrameBody(body: Buffer): BusRecord {
  const keyLength = body.readUInt16BE(0);
  const key = body.subarray(2, 2 + keyLength).toString('utf8');
  const headersLength = body.readUInt32BE(2 + keyLength);
  const headersStart = 2 + keyLength + 4;
  const headers = JSON.parse(
    body.subarray(headersStart, headersStart + headersLength).toString('utf8'),
  ) as Record<string, string>;
  return { key, headers, value: Buffer.from(body.subarray(headersStart + headersLength)) };
}

export function isFrameIntact(body: Buffer, expectedCrc: number): boolean {
  return crc32(body) === expectedCrc;
}
