import type { ByteRange, MimeTree } from '../mime/types.js';

/** One thing sent to clamd as its own stream. */
export interface ScanObject {
  /** `extracted` is a file unpacked from a container part, such as TNEF (winmail.dat). */
  kind: 'message' | 'part' | 'uuencoded' | 'extracted';
  /** Part path ("1.2"), or "" for the raw message. */
  path: string;
  fileName: string | undefined;
  /** Every name the object gives itself; `fileName` is the first. */
  fileNames: string[];
  content: Buffer;
  /** What a part replacement must cut to remove this object; undefined when it cannot. */
  replaceableRange: ByteRange | undefined;
  /** True for objects seen only in a second reading of duplicate Content-Type headers. */
  isAlternativeReading: boolean;
}

/**
 * Lists the objects of a message: the raw message itself, each decoded leaf that has
 * content, and each uuencoded file. The raw message is always among them, because clamd
 * parses some malformed MIME that our walker reads differently (and the reverse).
 */
export function collectScanObjects(raw: Buffer, tree: MimeTree): ScanObject[] {
  const objects: ScanObject[] = [
    {
      kind: 'message',
      path: '',
      fileName: undefined,
      fileNames: [],
      content: raw,
      replaceableRange: undefined,
      isAlternativeReading: false,
    },
  ];
  for (const leaf of tree.leaves) {
    if (leaf.content.length === 0) continue;
    objects.push({
      kind: 'part',
      path: leaf.path,
      fileName: leaf.fileName,
      fileNames: leaf.fileNames,
      content: leaf.content,
      replaceableRange: leaf.isAlternativeReading ? undefined : leaf.replaceableRange,
      isAlternativeReading: leaf.isAlternativeReading,
    });
  }
  for (const file of tree.uuencoded) {
    objects.push({
      kind: 'uuencoded',
      path: file.partPath,
      fileName: file.fileName,
      fileNames: [file.fileName],
      content: file.content,
      replaceableRange: file.replaceableRange,
      isAlternativeReading: false,
    });
  }
  return objects;
}

/** How findings name an object: "message", "2 (invoice.exe)", "1 uuencoded (eicar.com)". */
export function objectLabel(object: ScanObject): string {
  if (object.kind === 'message') return 'message';
  const kind = object.kind === 'part' ? '' : ` ${object.kind}`;
  const reading = object.isAlternativeReading ? ' second Content-Type reading' : '';
  const name = object.fileName === undefined ? '' : ` (${object.fileName})`;
  return `${object.path}${kind}${reading}${name}`;
}
