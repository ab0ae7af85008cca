import {
  CENTRAL_SIGNATURE,
  END_SIGNATURE,
  FLAG_DATA_DESCRIPTOR,
  ZIP64_END_SIGNATURE,
  ZIP64_LOCATOR_SIGNATURE,
  entryFromHeader,
  readCentralHeader,
  readLocalHeader,
  type ZipEntry,
} from './zip-records.js';

export type { ZipEntry } from './zip-records.js';

/** Entries of a zip archive and what went wrong while reading them. */
export interface ZipListing {
  entries: ZipEntry[];
  /**
   * True when the central directory is missing or damaged (entries then come from a scan of
   * local headers) or disagrees with the end record.
   */
  isCorrupted: boolean;
  /** True when the archive has more entries than `maxEntries`; the rest are not listed. */
  isTruncated: boolean;
  isZip64: boolean;
}

export interface ListZipOptions {
  /** Entries to list at most. Default 10000. */
  maxEntries?: number;
}

/** Position of the central directory from the end records, with offsets already shifted. */
interface CentralDirectory {
  start: number;
  end: number;
  count: number;
  /** Length of data before the archive, added to every stored offset. */
  shift: number;
  isZip64: boolean;
}

const END_RECORD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const DEFAULT_MAX_ENTRIES = 10000;

/**
 * Lists the entries of a zip archive from its central directory, with ZIP64 records. Data
 * before the archive (a self-extractor stub) is allowed: offsets are shifted by its length.
 * Without a usable central directory, entries come from a scan of local headers and the
 * listing is marked corrupted. Never throws; reads only inside `zip`.
 */
export function listZip(zip: Buffer, options: ListZipOptions = {}): ZipListing {
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const directory = findCentralDirectory(zip);
  const listing = directory && readCentralDirectory(zip, directory, maxEntries);
  if (listing !== undefined) return listing;
  return scanLocalHeaders(zip, maxEntries);
}

/** True when `zip` ends with a valid end of central directory record. */
export function hasCentralDirectory(zip: Buffer): boolean {
  return findCentralDirectory(zip) !== undefined;
}

const END_SIGNATURE_BYTES = Buffer.alloc(4);
END_SIGNATURE_BYTES.writeUInt32LE(END_SIGNATURE);

function findCentralDirectory(zip: Buffer): CentralDirectory | undefined {
  if (zip.length < END_RECORD_SIZE) return undefined;
  const lowest = Math.max(0, zip.length - END_RECORD_SIZE - MAX_COMMENT);
  // lastIndexOf searches in native code, which matters because every object is tested.
  let offset = zip.lastIndexOf(END_SIGNATURE_BYTES, zip.length - END_RECORD_SIZE);
  while (offset >= lowest) {
    const directory = readEndRecord(zip, offset);
    if (directory !== undefined) return directory;
    offset = offset === 0 ? -1 : zip.lastIndexOf(END_SIGNATURE_BYTES, offset - 1);
  }
  return undefined;
}

function readEndRecord(zip: Buffer, offset: number): CentralDirectory | undefined {
  let count = zip.readUInt16LE(offset + 10);
  let size = zip.readUInt32LE(offset + 12);
  let start = zip.readUInt32LE(offset + 16);
  let recordStart = offset;
  const hasZip64Marks = size === 0xffffffff || start === 0xffffffff;
  // A count of 0xFFFF alone may be a true count of 65535 without ZIP64 records.
  const zip64 = hasZip64Marks || count === 0xffff ? readZip64End(zip, offset) : undefined;
  if (zip64 === undefined && hasZip64Marks) return undefined;
  if (zip64 !== undefined) {
    ({ count, size, start } = zip64);
    recordStart = zip64.recordStart;
  }
  const isZip64 = zip64 !== undefined;
  // Bytes between the directory's declared end and the end record are a prefix (an SFX stub)
  // that every stored offset ignores.
  const shift = recordStart - (start + size);
  if (shift < 0) return undefined;
  const directory = { start: start + shift, end: start + shift + size, count, shift, isZip64 };
  const isEmpty = count === 0 && size === 0;
  if (!isEmpty && readCentralHeader(zip, directory.start) === undefined) return undefined;
  return directory;
}

function readZip64End(
  zip: Buffer,
  endOffset: number,
): { count: number; size: number; start: number; recordStart: number } | undefined {
  const locator = endOffset - 20;
  if (locator < 0 || zip.readUInt32LE(locator) !== ZIP64_LOCATOR_SIGNATURE) return undefined;
  const declaredStart = Number(zip.readBigUInt64LE(locator + 8));
  // The ZIP64 end record usually ends where the locator starts (a fixed part of 56 bytes).
  // That position is tried first because a prefix shifts the stored offset.
  const recordStart = locator - 56;
  const isAtLocator = recordStart >= 0 && zip.readUInt32LE(recordStart) === ZIP64_END_SIGNATURE;
  const at = isAtLocator ? recordStart : declaredStart;
  if (at < 0 || at + 56 > zip.length || zip.readUInt32LE(at) !== ZIP64_END_SIGNATURE)
    return undefined;
  return {
    count: Number(zip.readBigUInt64LE(at + 32)),
    size: Number(zip.readBigUInt64LE(at + 40)),
    start: Number(zip.readBigUInt64LE(at + 48)),
    recordStart: at,
  };
}

function readCentralDirectory(
  zip: Buffer,
  directory: CentralDirectory,
  maxEntries: number,
): ZipListing | undefined {
  const entries: ZipEntry[] = [];
  let offset = directory.start;
  while (offset < directory.end) {
    if (entries.length >= maxEntries)
      return { entries, isCorrupted: false, isTruncated: true, isZip64: directory.isZip64 };
    const record = readCentralHeader(zip, offset);
    if (record === undefined) return undefined;
    const entry = entryFromHeader(record.header, record.localHeaderOffset, false);
    entry.localHeaderOffset += directory.shift;
    entries.push(entry);
    offset = record.next;
  }
  // Writers without ZIP64 store the count modulo 65536, so only compare what fits.
  const isCountWrong = entries.length % 0x10000 !== directory.count % 0x10000;
  return { entries, isCorrupted: isCountWrong, isTruncated: false, isZip64: directory.isZip64 };
}

const LOCAL_BYTES = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const CENTRAL_BYTES = Buffer.alloc(4);
CENTRAL_BYTES.writeUInt32LE(CENTRAL_SIGNATURE, 0);

/**
 * Lists entries by walking local headers from the start, as when the end of the archive is
 * cut off. An entry written with a data descriptor (bit 3) has no sizes in its local header:
 * its data is taken to run to the next header signature.
 */
function scanLocalHeaders(zip: Buffer, maxEntries: number): ZipListing {
  const entries: ZipEntry[] = [];
  let offset = zip.indexOf(LOCAL_BYTES);
  let isTruncated = false;
  while (offset >= 0) {
    if (entries.length >= maxEntries) {
      isTruncated = true;
      break;
    }
    const local = readLocalHeader(zip, offset);
    if (local === undefined) {
      offset = zip.indexOf(LOCAL_BYTES, offset + 4);
      continue;
    }
    const hasUnknownSizes =
      (local.header.flags & FLAG_DATA_DESCRIPTOR) !== 0 && local.header.compressedSize === 0;
    const entry = entryFromHeader(local.header, offset, hasUnknownSizes);
    if (hasUnknownSizes)
      entry.compressedSize = nextSignature(zip, local.dataStart) - local.dataStart;
    entries.push(entry);
    offset = zip.indexOf(LOCAL_BYTES, Math.max(local.dataStart + entry.compressedSize, offset + 4));
  }
  return { entries, isCorrupted: true, isTruncated, isZip64: false };
}

function nextSignature(zip: Buffer, from: number): number {
  const candidates = [zip.indexOf(LOCAL_BYTES, from), zip.indexOf(CENTRAL_BYTES, from)];
  const found = candidates.filter((offset) => offset >= 0);
  return found.length > 0 ? Math.min(...found) : zip.length;
}
