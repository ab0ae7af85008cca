/**
 * Signatures at fixed offsets. Each yields a type id, or a family that needs a closer look:
 * 'mz' (exe or dll), 'zip' (and its flavours), 'ole2' (msi, doc, xls, ppt), 'cafebabe'
 * (Mach-O universal binary or Java class file).
 */
export type MagicMatch =
  | 'mz'
  | 'elf'
  | 'macho'
  | 'cafebabe'
  | 'zip'
  | 'rar'
  | '7z'
  | 'gzip'
  | 'bzip2'
  | 'xz'
  | 'zstd'
  | 'cab'
  | 'arj'
  | 'ole2'
  | 'tnef'
  | 'pdf'
  | 'rtf'
  | 'lnk'
  | 'png'
  | 'jpeg'
  | 'gif'
  | 'script';

interface Signature {
  match: MagicMatch;
  bytes: Buffer;
  /** Extra condition on the content, for signatures too short to trust alone. */
  accepts?: (content: Buffer) => boolean;
}

function hex(text: string): Buffer {
  return Buffer.from(text.replace(/ /g, ''), 'hex');
}

function ascii(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

const SIGNATURES: readonly Signature[] = [
  { match: 'mz', bytes: ascii('MZ') },
  { match: 'elf', bytes: hex('7f 45 4c 46') },
  // Mach-O 32 and 64 bit, in both byte orders.
  { match: 'macho', bytes: hex('fe ed fa ce') },
  { match: 'macho', bytes: hex('fe ed fa cf') },
  { match: 'macho', bytes: hex('ce fa ed fe') },
  { match: 'macho', bytes: hex('cf fa ed fe') },
  { match: 'cafebabe', bytes: hex('ca fe ba be') },
  // Local file header, empty archive, and the marker that starts a spanned archive.
  { match: 'zip', bytes: hex('50 4b 03 04') },
  { match: 'zip', bytes: hex('50 4b 05 06') },
  { match: 'zip', bytes: hex('50 4b 07 08') },
  // RAR 1.5-4.x and RAR 5.
  { match: 'rar', bytes: ascii('Rar!\x1a\x07\x00') },
  { match: 'rar', bytes: ascii('Rar!\x1a\x07\x01\x00') },
  { match: '7z', bytes: hex('37 7a bc af 27 1c') },
  { match: 'gzip', bytes: hex('1f 8b 08') },
  { match: 'bzip2', bytes: ascii('BZh'), accepts: (c) => c[3]! >= 0x31 && c[3]! <= 0x39 },
  { match: 'xz', bytes: hex('fd 37 7a 58 5a 00') },
  { match: 'zstd', bytes: hex('28 b5 2f fd') },
  { match: 'cab', bytes: ascii('MSCF\0\0\0\0') },
  // ARJ main header: 0x60 0xEA, then a basic header size of at most 2600.
  { match: 'arj', bytes: hex('60 ea'), accepts: isArjHeader },
  { match: 'ole2', bytes: hex('d0 cf 11 e0 a1 b1 1a e1') },
  { match: 'tnef', bytes: hex('78 9f 3e 22') },
  { match: 'pdf', bytes: ascii('%PDF-') },
  { match: 'rtf', bytes: ascii('{\\rtf') },
  // Shell link: header size 0x4C, then LinkCLSID {00021401-0000-0000-C000-000000000046}.
  { match: 'lnk', bytes: hex('4c 00 00 00 01 14 02 00 00 00 00 00 c0 00 00 00 00 00 00 46') },
  { match: 'png', bytes: hex('89 50 4e 47 0d 0a 1a 0a') },
  { match: 'jpeg', bytes: hex('ff d8 ff') },
  { match: 'gif', bytes: ascii('GIF87a') },
  { match: 'gif', bytes: ascii('GIF89a') },
  {
    match: 'script',
    bytes: ascii('#!'),
    accepts: (c) => /^#! ?\//.test(c.toString('latin1', 0, 4)),
  },
];

function isArjHeader(content: Buffer): boolean {
  if (content.length < 4) return false;
  const size = content.readUInt16LE(2);
  return size > 0 && size <= 2600;
}

/** Matches the signatures that sit at offset 0. */
export function matchMagic(content: Buffer): MagicMatch | undefined {
  for (const signature of SIGNATURES) {
    if (content.length < signature.bytes.length) continue;
    if (!content.subarray(0, signature.bytes.length).equals(signature.bytes)) continue;
    if (signature.accepts === undefined || signature.accepts(content)) return signature.match;
  }
  return undefined;
}

/** Looks for the header in the first 1024 bytes, because Acrobat opens files with junk before it. */
export function hasPdfHeader(content: Buffer): boolean {
  return content.subarray(0, 1024).indexOf('%PDF-') >= 0;
}

/** ISO 9660 volume descriptors start at sector 16; "CD001" follows a type byte. */
export function hasIso9660Descriptor(content: Buffer): boolean {
  return [0x8001, 0x8801, 0x9001].some(
    (offset) => content.toString('latin1', offset, offset + 5) === 'CD001',
  );
}

/** POSIX and GNU tar headers carry "ustar" at offset 257. */
export function hasUstarMagic(content: Buffer): boolean {
  return content.toString('latin1', 257, 262) === 'ustar';
}
