import { crc32 } from 'node:zlib';
import { decodeCp437 } from './cp437.js';

export const LOCAL_SIGNATURE = 0x04034b50;
export const CENTRAL_SIGNATURE = 0x02014b50;
export const END_SIGNATURE = 0x06054b50;
export const ZIP64_END_SIGNATURE = 0x06064b50;
export const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;

/** Method 99 marks WinZip AES encryption; the real method is in the 0x9901 extra field. */
export const AES_METHOD = 99;
const FLAG_ENCRYPTED = 0x0001;
export const FLAG_DATA_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;

const EXTRA_ZIP64 = 0x0001;
const EXTRA_UNICODE_PATH = 0x7075;

/** A 32-bit or 16-bit field set to all ones means the real value is in the ZIP64 extra field. */
const ZIP64_MARK_32 = 0xffffffff;

/** One member of a zip archive, as its central directory (or its local header) describes it. */
export interface ZipEntry {
  /** Name decoded as UTF-8 when bit 11 is set or an Info-ZIP Unicode Path field matches, else CP437. */
  name: string;
  compressedSize: number;
  /** Uncompressed size from the headers; an attacker chooses it, so it is never trusted. */
  declaredSize: number;
  method: number;
  /** General purpose bit flag. */
  flags: number;
  /** CRC-32 from the headers. */
  crc32: number;
  /** True when bit 0 of the flags is set or the method is 99 (AES). */
  isEncrypted: boolean;
  isDirectory: boolean;
  /** Offset of the local file header in the archive buffer, after any prefix shift. */
  localHeaderOffset: number;
  /**
   * True when sizes and CRC were not in the header that listed the entry: a local header with
   * bit 3 set, read without a central directory. `compressedSize` is then a guess.
   */
  hasUnknownSizes: boolean;
}

/** Fields common to the local and central headers, read before names and extra fields. */
export interface HeaderFields {
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  declaredSize: number;
  name: Buffer;
  extra: Buffer;
}

/** Splits an extra field block into records by header id; a truncated record ends the list. */
export function extraFields(extra: Buffer): Map<number, Buffer> {
  const fields = new Map<number, Buffer>();
  let offset = 0;
  while (offset + 4 <= extra.length) {
    const id = extra.readUInt16LE(offset);
    const size = extra.readUInt16LE(offset + 2);
    if (offset + 4 + size > extra.length) break;
    if (!fields.has(id)) fields.set(id, extra.subarray(offset + 4, offset + 4 + size));
    offset += 4 + size;
  }
  return fields;
}

/**
 * Replaces 32-bit fields set to 0xFFFFFFFF by their 64-bit values from the ZIP64 extended
 * information field, which lists only the replaced fields, in this order.
 */
export function applyZip64(
  fields: Map<number, Buffer>,
  values: { declaredSize: number; compressedSize: number; localHeaderOffset?: number },
): void {
  const zip64 = fields.get(EXTRA_ZIP64);
  if (zip64 === undefined) return;
  let offset = 0;
  const next = (): number | undefined => {
    if (offset + 8 > zip64.length) return undefined;
    const value = Number(zip64.readBigUInt64LE(offset));
    offset += 8;
    return value;
  };
  if (values.declaredSize === ZIP64_MARK_32) values.declaredSize = next() ?? values.declaredSize;
  if (values.compressedSize === ZIP64_MARK_32)
    values.compressedSize = next() ?? values.compressedSize;
  if (values.localHeaderOffset === ZIP64_MARK_32)
    values.localHeaderOffset = next() ?? values.localHeaderOffset;
}

/**
 * Decodes an entry name. The Info-ZIP Unicode Path field (0x7075) wins when its CRC matches
 * the raw name, because it was written for exactly this name.
 */
export function decodeEntryName(name: Buffer, flags: number, fields: Map<number, Buffer>): string {
  const unicode = fields.get(EXTRA_UNICODE_PATH);
  if (unicode !== undefined && unicode.length > 5 && unicode[0] === 1) {
    if (unicode.readUInt32LE(1) === crc32(name)) return unicode.subarray(5).toString('utf8');
  }
  return (flags & FLAG_UTF8) !== 0 ? name.toString('utf8') : decodeCp437(name);
}

/** Reads the real method of an AES-encrypted entry from the 0x9901 field. */
function aesMethod(fields: Map<number, Buffer>): number | undefined {
  const aes = fields.get(0x9901);
  return aes !== undefined && aes.length >= 7 ? aes.readUInt16LE(5) : undefined;
}

/** Builds an entry from header fields, applying ZIP64 values and the AES method. */
export function entryFromHeader(
  header: HeaderFields,
  localHeaderOffset: number,
  hasUnknownSizes: boolean,
): ZipEntry {
  const fields = extraFields(header.extra);
  const values = {
    declaredSize: header.declaredSize,
    compressedSize: header.compressedSize,
    localHeaderOffset,
  };
  applyZip64(fields, values);
  const name = decodeEntryName(header.name, header.flags, fields);
  const isAes = header.method === AES_METHOD;
  return {
    name,
    compressedSize: values.compressedSize,
    declaredSize: values.declaredSize,
    method: isAes ? (aesMethod(fields) ?? header.method) : header.method,
    flags: header.flags,
    crc32: header.crc32,
    isEncrypted: (header.flags & FLAG_ENCRYPTED) !== 0 || isAes,
    isDirectory: /[/\\]$/.test(name) && values.declaredSize === 0,
    localHeaderOffset: values.localHeaderOffset,
    hasUnknownSizes,
  };
}

/** Reads a central directory file header; undefined when it is cut short or the signature is wrong. */
export function readCentralHeader(
  zip: Buffer,
  offset: number,
): { header: HeaderFields; localHeaderOffset: number; next: number } | undefined {
  if (offset + 46 > zip.length || zip.readUInt32LE(offset) !== CENTRAL_SIGNATURE) return undefined;
  const nameLength = zip.readUInt16LE(offset + 28);
  const extraLength = zip.readUInt16LE(offset + 30);
  const commentLength = zip.readUInt16LE(offset + 32);
  const nameStart = offset + 46;
  const next = nameStart + nameLength + extraLength + commentLength;
  if (next > zip.length) return undefined;
  const header: HeaderFields = {
    flags: zip.readUInt16LE(offset + 8),
    method: zip.readUInt16LE(offset + 10),
    crc32: zip.readUInt32LE(offset + 16),
    compressedSize: zip.readUInt32LE(offset + 20),
    declaredSize: zip.readUInt32LE(offset + 24),
    name: zip.subarray(nameStart, nameStart + nameLength),
    extra: zip.subarray(nameStart + nameLength, nameStart + nameLength + extraLength),
  };
  return { header, localHeaderOffset: zip.readUInt32LE(offset + 42), next };
}

/** Reads a local file header; `dataStart` is where the member data begins. */
export function readLocalHeader(
  zip: Buffer,
  offset: number,
): { header: HeaderFields; dataStart: number } | undefined {
  if (offset < 0 || offset + 30 > zip.length || zip.readUInt32LE(offset) !== LOCAL_SIGNATURE)
    return undefined;
  const nameLength = zip.readUInt16LE(offset + 26);
  const extraLength = zip.readUInt16LE(offset + 28);
  const nameStart = offset + 30;
  const dataStart = nameStart + nameLength + extraLength;
  if (dataStart > zip.length) return undefined;
  const header: HeaderFields = {
    flags: zip.readUInt16LE(offset + 6),
    method: zip.readUInt16LE(offset + 8),
    crc32: zip.readUInt32LE(offset + 14),
    compressedSize: zip.readUInt32LE(offset + 18),
    declaredSize: zip.readUInt32LE(offset + 22),
    name: zip.subarray(nameStart, nameStart + nameLength),
    extra: zip.subarray(nameStart + nameLength, dataStart),
  };
  return { header, dataStart };
}
