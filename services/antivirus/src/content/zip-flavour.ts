import { listZip, type ZipEntry } from './zip.js';
import { expandZipEntry } from './zip-expand.js';

/** Formats built on zip that policy treats apart from a plain archive. */
export type ZipFlavour =
  | 'zip'
  | 'docx'
  | 'docm'
  | 'xlsx'
  | 'xlsm'
  | 'pptx'
  | 'pptm'
  | 'ooxml'
  | 'odf'
  | 'epub'
  | 'jar'
  | 'apk';

/**
 * Entries read to tell the flavour. The marker files come first in archives that Office,
 * LibreOffice and the Java and Android tools write, so a short listing suffices.
 */
const FLAVOUR_ENTRIES = 1000;

/** Tells zip-based formats apart by the names of their entries. */
export function zipFlavour(zip: Buffer): ZipFlavour {
  const { entries } = listZip(zip, { maxEntries: FLAVOUR_ENTRIES });
  const names = new Set(entries.map((entry) => entry.name));
  if (names.has('[Content_Types].xml')) return ooxmlFlavour(entries);
  if (names.has('AndroidManifest.xml') && names.has('classes.dex')) return 'apk';
  if (names.has('META-INF/MANIFEST.MF') || entries.some((e) => e.name.endsWith('.class')))
    return 'jar';
  const mimetype = entries[0]?.name === 'mimetype' ? mimetypeOf(zip, entries[0]) : '';
  if (mimetype.startsWith('application/vnd.oasis.opendocument.')) return 'odf';
  if (mimetype === 'application/epub+zip') return 'epub';
  return 'zip';
}

/** OOXML parts live under word/, xl/ or ppt/; a VBA project makes it macro-enabled. */
function ooxmlFlavour(entries: ZipEntry[]): ZipFlavour {
  const hasMacros = entries.some((entry) => entry.name.endsWith('vbaProject.bin'));
  const has = (folder: string): boolean => entries.some((entry) => entry.name.startsWith(folder));
  if (has('word/')) return hasMacros ? 'docm' : 'docx';
  if (has('xl/')) return hasMacros ? 'xlsm' : 'xlsx';
  if (has('ppt/')) return hasMacros ? 'pptm' : 'pptx';
  return 'ooxml';
}

/** ODF and EPUB store their media type uncompressed in a first entry named "mimetype". */
function mimetypeOf(zip: Buffer, entry: ZipEntry): string {
  const expansion = expandZipEntry(zip, entry, 256);
  return expansion.status === 'expanded' ? expansion.content.toString('latin1').trim() : '';
}
