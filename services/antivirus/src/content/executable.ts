/** IMAGE_FILE_DLL in the COFF Characteristics field. */
const IMAGE_FILE_DLL = 0x2000;

/**
 * Tells a DLL from an EXE by the PE header that e_lfanew (offset 0x3C) points to. Without a
 * PE header an 'MZ' file is a DOS program only when its DOS header is plausible, so a text
 * that happens to start with "MZ" is not taken for one.
 */
export function peKind(content: Buffer): 'exe' | 'dll' | undefined {
  if (content.length >= 0x40) {
    const peOffset = content.readUInt32LE(0x3c);
    const hasPe =
      peOffset + 24 <= content.length &&
      content.toString('latin1', peOffset, peOffset + 4) === 'PE\0\0';
    if (hasPe) {
      const characteristics = content.readUInt16LE(peOffset + 22);
      return (characteristics & IMAGE_FILE_DLL) !== 0 ? 'dll' : 'exe';
    }
  }
  return isDosHeader(content) ? 'exe' : undefined;
}

/**
 * Checks for a DOS header: fewer than 512 bytes in the last page (e_cblp), at least one page
 * (e_cp), and a header of at least its own 64 bytes (e_cparhdr of 4 paragraphs or more).
 */
function isDosHeader(content: Buffer): boolean {
  if (content.length < 28) return false;
  const lastPageBytes = content.readUInt16LE(2);
  const pages = content.readUInt16LE(4);
  const headerParagraphs = content.readUInt16LE(8);
  return lastPageBytes < 512 && pages > 0 && headerParagraphs >= 4;
}

/**
 * 0xCAFEBABE starts both a Mach-O universal binary and a Java class file. The next 32 bits
 * are the number of architectures in the first (a handful) and the class file version
 * (major version 45 or more) in the second.
 */
export function cafebabeKind(content: Buffer): 'macho' | 'class' | undefined {
  if (content.length < 8) return undefined;
  const next = content.readUInt32BE(4);
  if (next === 0) return undefined;
  return next < 45 ? 'macho' : 'class';
}
