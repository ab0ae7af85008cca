import { deflateRawSync } from 'node:zlib';
import { buildZip, type ZipMemberSpec } from '../test/helpers.js';
import { buildPdf } from './pdf-writer.js';
import type { SeededRandom } from './seeded-random.js';
import { randomText } from './text.js';

/** The generated attachment types of the mix. */
export type AttachmentKind = 'zip' | 'pdf' | 'binary';

export interface Attachment {
  kind: AttachmentKind;
  fileName: string;
  contentType: string;
  content: Buffer;
}

/** Text in one zip member at most, so big archives hold several files as real ones do. */
const MAX_MEMBER_CHARS = 512 * 1024;
/**
 * Deflate ratio of randomText assumed for the first member, before one is measured. It is a
 * little below the ratio of short texts (3.4 for 10 KB, 4.2 for 512 KB), so the first member
 * stays under the target and later ones fill the rest.
 */
const FIRST_RATIO_GUESS = 3.2;
/** An archive this close to its target size is done. */
const SIZE_TOLERANCE_BYTES = 512;

/**
 * Builds an attachment of about `bytes` bytes. Its content comes from `random`, and `marker`
 * (a line unique to this message) goes into every file of it, so that neither clamd nor the
 * antivirus has seen the bytes before.
 */
export function buildAttachment(
  kind: AttachmentKind,
  bytes: number,
  marker: string,
  random: SeededRandom,
  index: number,
): Attachment {
  if (kind === 'zip') {
    const content = buildTextZip(bytes, marker, random);
    return { kind, fileName: `notes-${index}.zip`, contentType: 'application/zip', content };
  }
  if (kind === 'pdf') {
    const content = buildPdf(bytes, marker, random);
    return { kind, fileName: `report-${index}.pdf`, contentType: 'application/pdf', content };
  }
  const line = Buffer.from(`${marker}\n`, 'latin1');
  const content = Buffer.concat([line, random.bytes(Math.max(0, bytes - line.length))]);
  return { kind, fileName: `data-${index}.bin`, contentType: 'application/octet-stream', content };
}

/**
 * Builds a zip of deflated text files whose size is close to `bytes`. The text of each member
 * is sized from the deflate ratio of the members before it, because the compressed size is
 * known only after deflating.
 */
function buildTextZip(bytes: number, marker: string, random: SeededRandom): Buffer {
  const members: ZipMemberSpec[] = [];
  let ratio = FIRST_RATIO_GUESS;
  let size = zipOverhead(0);
  while (members.length === 0 || bytes - size > SIZE_TOLERANCE_BYTES) {
    const name = `notes-${members.length + 1}.txt`;
    const wantedChars = Math.min(MAX_MEMBER_CHARS, Math.max(256, (bytes - size) * ratio));
    const text = `${marker} file ${members.length + 1}\r\n${randomText(random, wantedChars)}`;
    const content = Buffer.from(text, 'latin1');
    const data = deflateRawSync(content);
    members.push({ name, content, method: 8, data });
    ratio = content.length / data.length;
    size += data.length + zipOverhead(1) + 2 * name.length;
  }
  return buildZip(members);
}

/**
 * Bytes of zip headers without the names: the local and central headers of `members` members,
 * or the end record for 0.
 */
function zipOverhead(members: number): number {
  return members === 0 ? 22 : members * (30 + 46);
}
