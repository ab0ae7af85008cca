import { crc32 } from 'node:zlib';
import { inflateBounded, peekInflated } from './inflate.js';
import { readLocalHeader, type ZipEntry } from './zip-records.js';

/** Outcome of the expansion of one zip entry. */
export type ZipExpansion =
  | { status: 'expanded'; content: Buffer }
  /** The content passed `maxBytes`; expansion stopped there. */
  | { status: 'over-limit' }
  /** Encrypted: the content cannot be read without the password. */
  | { status: 'protected' }
  /** A method this module does not implement (such as 9, 12, 14, 93, 95). */
  | { status: 'unexpanded' }
  | { status: 'corrupted'; detail: string };

const STORED = 0;
const DEFLATED = 8;

/**
 * Expands one entry: copies a stored entry, inflates a deflated one with node:zlib, and stops
 * once the content passes `maxBytes`, whatever size the headers declare. A fully expanded
 * entry must match its CRC-32 and declared size, else it is corrupted.
 */
export function expandZipEntry(zip: Buffer, entry: ZipEntry, maxBytes: number): ZipExpansion {
  if (entry.isEncrypted) return { status: 'protected' };
  if (entry.method !== STORED && entry.method !== DEFLATED) return { status: 'unexpanded' };
  const data = entryData(zip, entry);
  if (typeof data === 'string') return { status: 'corrupted', detail: data };
  if (entry.method === STORED) {
    if (data.length > maxBytes) return { status: 'over-limit' };
    return verified(entry, data);
  }
  const output = inflateBounded(data, maxBytes);
  if (output.status !== 'complete') return output;
  return verified(entry, output.content);
}

/**
 * The first bytes of an entry's content, for recognising its type when it is not expanded
 * in full. Empty for encrypted entries, other methods and unreadable data.
 */
export function peekZipEntry(zip: Buffer, entry: ZipEntry): Buffer {
  if (entry.isEncrypted) return Buffer.alloc(0);
  const data = entryData(zip, entry);
  if (typeof data === 'string') return Buffer.alloc(0);
  if (entry.method === STORED) return data.subarray(0, 64 * 1024);
  if (entry.method === DEFLATED) return peekInflated(data);
  return Buffer.alloc(0);
}

/** The entry's compressed bytes, or why they cannot be read. */
function entryData(zip: Buffer, entry: ZipEntry): Buffer | string {
  const local = readLocalHeader(zip, entry.localHeaderOffset);
  if (local === undefined) return `no local header at offset ${entry.localHeaderOffset}`;
  const end = local.dataStart + entry.compressedSize;
  if (end > zip.length) {
    // A truncated deflate stream fails to inflate; stored data is simply short.
    if (entry.method === STORED) return `data cut short: ${zip.length - local.dataStart} bytes`;
    return zip.subarray(local.dataStart);
  }
  return zip.subarray(local.dataStart, end);
}

function verified(entry: ZipEntry, content: Buffer): ZipExpansion {
  // Sizes and CRC of an entry written with a data descriptor and read without a central
  // directory are not known, so there is nothing to check against.
  if (entry.hasUnknownSizes) return { status: 'expanded', content };
  if (content.length !== entry.declaredSize) {
    const detail = `${content.length} bytes expanded, ${entry.declaredSize} declared`;
    return { status: 'corrupted', detail };
  }
  if (crc32(content) !== entry.crc32) return { status: 'corrupted', detail: 'CRC-32 mismatch' };
  return { status: 'expanded', content };
}
