import {
  FILE_TYPE_CATEGORY as fileCategories,
  type FileCategory,
  type FileTypeId,
} from '@mailshield/common';
import { cafebabeKind, peKind } from './executable.js';
import {
  hasIso9660Descriptor,
  hasPdfHeader,
  hasUstarMagic,
  matchMagic,
  type MagicMatch,
} from './magic.js';
import { ole2Kind } from './ole2.js';
import { isTarHeader } from './tar.js';
import { sniffText } from './text-sniff.js';
import { hasCentralDirectory } from './zip.js';
import { zipFlavour } from './zip-flavour.js';

/**
 * Every type id and its category. Types come from content only, never from names.
 *
 * | id         | category   | recognised by                                                   |
 * | ---------- | ---------- | --------------------------------------------------------------- |
 * | exe        | executable | "MZ" with a PE header without IMAGE_FILE_DLL, or a DOS header   |
 * | dll        | executable | "MZ" with a PE header with IMAGE_FILE_DLL (0x2000)              |
 * | elf        | executable | 7F "ELF"                                                        |
 * | macho      | executable | FEEDFACE/FEEDFACF either byte order; CAFEBABE + < 45 archs      |
 * | class      | executable | CAFEBABE + class file version >= 45                             |
 * | jar        | executable | zip with META-INF/MANIFEST.MF or a .class entry                 |
 * | apk        | executable | zip with AndroidManifest.xml and classes.dex                    |
 * | msi        | executable | OLE2 with the Windows Installer root CLSID                      |
 * | lnk        | executable | Shell link header (0x4C + LinkCLSID)                            |
 * | script     | script     | "#!/" or "#! /" shebang                                         |
 * | zip        | archive    | "PK" 03 04 / 05 06 / 07 08, or an end record after a prefix     |
 * | rar        | archive    | "Rar!" 1A 07 00 (RAR 4) or "Rar!" 1A 07 01 00 (RAR 5)           |
 * | 7z         | archive    | "7z" BC AF 27 1C                                                |
 * | gzip       | archive    | 1F 8B 08                                                        |
 * | bzip2      | archive    | "BZh" + block size digit                                        |
 * | xz         | archive    | FD "7zXZ" 00                                                    |
 * | zstd       | archive    | 28 B5 2F FD                                                     |
 * | cab        | archive    | "MSCF" 00 00 00 00                                              |
 * | arj        | archive    | 60 EA + header size <= 2600                                     |
 * | tar        | archive    | "ustar" at 257, or a valid header checksum (pre-POSIX tar)      |
 * | iso9660    | archive    | "CD001" at 0x8001, 0x8801 or 0x9001                             |
 * | tnef       | archive    | 78 9F 3E 22 (winmail.dat)                                       |
 * | docx/xlsx/pptx | document | zip with [Content_Types].xml and word/, xl/ or ppt/ entries |
 * | docm/xlsm/pptm | document | the same with a vbaProject.bin entry (macros)               |
 * | ooxml      | document   | zip with [Content_Types].xml, other parts (e.g. Visio)          |
 * | odf        | document   | zip whose first entry "mimetype" is an OpenDocument type        |
 * | epub       | document   | zip whose first entry "mimetype" is application/epub+zip        |
 * | doc/xls/ppt | document  | OLE2 with an Office root CLSID or main stream name              |
 * | ole2       | document   | D0 CF 11 E0 A1 B1 1A E1, any other compound file                |
 * | pdf        | document   | "%PDF-" in the first 1024 bytes                                 |
 * | rtf        | document   | "{\rtf"                                                         |
 * | html       | document   | text starting with an HTML tag (doctype, html, head, body...)   |
 * | png        | image      | 89 "PNG" 0D 0A 1A 0A                                            |
 * | jpeg       | image      | FF D8 FF                                                        |
 * | gif        | image      | "GIF87a" or "GIF89a"                                            |
 * | text       | text       | no NUL and at most 1 % control bytes in the first 8 KiB         |
 * | empty      | text       | zero bytes                                                      |
 * | unknown    | unknown    | none of the above                                               |
 */
export { fileCategories, type FileCategory, type FileTypeId };

/** A file type recognised from content. */
export interface DetectedType {
  id: FileTypeId;
  category: FileCategory;
}

/** Returns the type and category for an id. */
export function typeOf(id: FileTypeId): DetectedType {
  return { id, category: fileCategories[id] };
}

/**
 * Detects the real type of `content` from its bytes alone. Zip flavours come from the
 * entry names of the archive, so a renamed archive is still recognised. Never throws.
 */
export function detectType(content: Buffer): DetectedType {
  return typeOf(detectId(content));
}

function detectId(content: Buffer): FileTypeId {
  if (content.length === 0) return 'empty';
  const magic = matchMagic(content);
  const fromMagic = magic === undefined ? undefined : refineMagic(magic, content);
  if (fromMagic !== undefined) return fromMagic;
  if (hasUstarMagic(content) || isTarHeader(content)) return 'tar';
  if (hasIso9660Descriptor(content)) return 'iso9660';
  if (hasPdfHeader(content)) return 'pdf';
  // A zip behind a prefix of other bytes still opens in unzip tools (and in clamd).
  if (hasCentralDirectory(content)) return zipFlavour(content);
  return sniffText(content) ?? 'unknown';
}

/** Resolves a signature family to one type; undefined when the closer look rejects it. */
function refineMagic(magic: MagicMatch, content: Buffer): FileTypeId | undefined {
  switch (magic) {
    case 'mz':
      return peKind(content);
    case 'cafebabe':
      return cafebabeKind(content);
    case 'zip':
      return zipFlavour(content);
    case 'ole2':
      return ole2Kind(content);
    default:
      return magic;
  }
}
