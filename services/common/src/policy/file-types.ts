/** Policy groups of file types, so a policy can block a whole category. */
export type FileCategory =
  'executable' | 'archive' | 'document' | 'image' | 'script' | 'text' | 'unknown';

/**
 * File types that the antivirus detects from content, with their category. Attachment rules
 * in a policy name a type or a category, and the control plane rejects other names.
 */
export const FILE_TYPE_CATEGORY = {
  exe: 'executable',
  dll: 'executable',
  elf: 'executable',
  macho: 'executable',
  class: 'executable',
  jar: 'executable',
  apk: 'executable',
  msi: 'executable',
  lnk: 'executable',
  script: 'script',
  zip: 'archive',
  rar: 'archive',
  '7z': 'archive',
  gzip: 'archive',
  bzip2: 'archive',
  xz: 'archive',
  zstd: 'archive',
  cab: 'archive',
  arj: 'archive',
  tar: 'archive',
  iso9660: 'archive',
  tnef: 'archive',
  docx: 'document',
  docm: 'document',
  xlsx: 'document',
  xlsm: 'document',
  pptx: 'document',
  pptm: 'document',
  ooxml: 'document',
  odf: 'document',
  epub: 'document',
  doc: 'document',
  xls: 'document',
  ppt: 'document',
  ole2: 'document',
  pdf: 'document',
  rtf: 'document',
  html: 'document',
  png: 'image',
  jpeg: 'image',
  gif: 'image',
  text: 'text',
  empty: 'text',
  unknown: 'unknown',
} as const satisfies Record<string, FileCategory>;

/** Stable short id of a file type. */
export type FileTypeId = keyof typeof FILE_TYPE_CATEGORY;

/** True when `name` is a detected type id or a category. */
export function isKnownFileType(name: string): boolean {
  return name in FILE_TYPE_CATEGORY || Object.values(FILE_TYPE_CATEGORY).some((c) => c === name);
}
