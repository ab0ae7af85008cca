/** A uuencoded file found in text. */
export interface UuencodedFile {
  fileName: string;
  content: Buffer;
}

const BEGIN = /^begin +[0-7]{3,4} +(.+?)\s*$/;

/**
 * Finds `begin <mode> <name>` ... `end` blocks in text and decodes them. A block without an
 * `end` line runs to the end of the text, so a truncated file is still scanned.
 */
export function findUuencodedFiles(text: Buffer): UuencodedFile[] {
  const lines = text.toString('latin1').split(/\r?\n/);
  const files: UuencodedFile[] = [];
  for (let i = 0; i < lines.length; i++) {
    const begin = BEGIN.exec(lines[i]!);
    if (begin === null) continue;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && lines[j]!.trimEnd() !== 'end') body.push(lines[j++]!);
    files.push({ fileName: begin[1]!, content: decodeUuencodedLines(body, false) });
    i = j;
  }
  return files;
}

/**
 * Decodes uuencoded lines (each starts with a length character). With `hasFrame`, the
 * `begin` and `end` lines are expected among them and skipped.
 */
export function decodeUuencodedLines(lines: string[], hasFrame: boolean): Buffer {
  const out: number[] = [];
  for (const line of lines) {
    if (hasFrame && (BEGIN.test(line) || line.trimEnd() === 'end')) continue;
    if (line.length === 0) continue;
    const count = (line.charCodeAt(0) - 32) & 0x3f;
    if (count === 0) continue;
    const bytes = decodeUuLine(line.slice(1));
    for (let k = 0; k < count && k < bytes.length; k++) out.push(bytes[k]!);
  }
  return Buffer.from(out);
}

function decodeUuLine(text: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i + 1 < text.length; i += 4) {
    const c = [0, 1, 2, 3].map((k) =>
      i + k < text.length ? (text.charCodeAt(i + k) - 32) & 0x3f : 0,
    );
    bytes.push(((c[0]! << 2) | (c[1]! >> 4)) & 0xff);
    bytes.push(((c[1]! << 4) | (c[2]! >> 2)) & 0xff);
    bytes.push(((c[2]! << 6) | c[3]!) & 0xff);
  }
  return bytes;
}
