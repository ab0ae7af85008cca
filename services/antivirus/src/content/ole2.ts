/** Kinds of OLE2 compound file that this module recognises; the rest are plain 'ole2'. */
export type Ole2Kind = 'msi' | 'doc' | 'xls' | 'ppt' | 'ole2';

/** Bytes of a GUID as stored on disk: the first three groups little-endian. */
function guidBytes(guid: string): Buffer {
  const [a, b, c, d, e] = guid.split('-') as [string, string, string, string, string];
  const bytes = Buffer.alloc(16);
  bytes.writeUInt32LE(parseInt(a, 16), 0);
  bytes.writeUInt16LE(parseInt(b, 16), 4);
  bytes.writeUInt16LE(parseInt(c, 16), 6);
  Buffer.from(d + e, 'hex').copy(bytes, 8);
  return bytes;
}

/** Root storage CLSIDs, as Windows Installer and Office 97-2003 write them. */
const ROOT_CLASSES: readonly { kind: Ole2Kind; clsid: Buffer }[] = [
  // Windows Installer package and patch.
  { kind: 'msi', clsid: guidBytes('000C1084-0000-0000-C000-000000000046') },
  { kind: 'msi', clsid: guidBytes('000C1086-0000-0000-C000-000000000046') },
  { kind: 'doc', clsid: guidBytes('00020906-0000-0000-C000-000000000046') },
  { kind: 'xls', clsid: guidBytes('00020820-0000-0000-C000-000000000046') },
  { kind: 'ppt', clsid: guidBytes('64818D10-4F9B-11CF-86EA-00AA00B929E8') },
];

/** Stream names that mark an Office document when the root CLSID is blank. */
const STREAM_KINDS: ReadonlyMap<string, Ole2Kind> = new Map([
  ['WordDocument', 'doc'],
  ['Workbook', 'xls'],
  ['Book', 'xls'],
  ['PowerPoint Document', 'ppt'],
]);

const DIRECTORY_ENTRY = 128;

/**
 * Reads the kind of an OLE2 compound file from its first directory sector: the root entry's
 * CLSID (at 0x50 in the entry), then the names of the entries in that sector. Directory
 * entries in later sectors are not read.
 */
export function ole2Kind(content: Buffer): Ole2Kind {
  if (content.length < 512) return 'ole2';
  const sectorShift = content.readUInt16LE(0x1e);
  if (sectorShift !== 9 && sectorShift !== 12) return 'ole2';
  const sectorSize = 1 << sectorShift;
  // Sector n starts after the 512-byte header (padded to a full sector in version 4).
  const start = (content.readUInt32LE(0x30) + 1) * sectorSize;
  if (start + DIRECTORY_ENTRY > content.length) return 'ole2';
  const clsid = content.subarray(start + 0x50, start + 0x60);
  const byClass = ROOT_CLASSES.find((entry) => entry.clsid.equals(clsid));
  if (byClass !== undefined) return byClass.kind;
  const end = Math.min(start + sectorSize, content.length);
  for (let entry = start; entry + DIRECTORY_ENTRY <= end; entry += DIRECTORY_ENTRY) {
    const kind = STREAM_KINDS.get(entryName(content, entry));
    if (kind !== undefined) return kind;
  }
  return 'ole2';
}

/** Directory entry name: UTF-16LE, its byte length (with the final NUL) at offset 0x40. */
function entryName(content: Buffer, entry: number): string {
  const length = Math.min(content.readUInt16LE(entry + 0x40), 64);
  return content.toString('utf16le', entry, entry + Math.max(0, length - 2));
}
