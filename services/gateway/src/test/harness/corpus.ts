import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Folder of the SpamAssassin public corpus shipped beside the repository. */
export const corpusDir = resolve(
  process.env['MAILSHIELD_CORPUS_DIR'] ??
    join(import.meta.dirname, '../../../../../../shared/corpus'),
);

/**
 * Reads a corpus file as it would go over SMTP: without the leading mbox `From ` line, and
 * with CRLF line ends.
 */
export async function readCorpusMessage(path: string): Promise<Buffer> {
  let text = (await readFile(path)).toString('latin1');
  if (text.startsWith('From ')) text = text.slice(text.indexOf('\n') + 1);
  text = text.replace(/\r?\n/g, '\r\n');
  return Buffer.from(text, 'latin1');
}

/** Lists the first `count` files of a corpus folder (ham or spam), in name order. */
export async function corpusFiles(kind: 'ham' | 'spam', count: number): Promise<string[]> {
  const dir = join(corpusDir, 'spam-ham', kind);
  const names = (await readdir(dir)).sort().slice(0, count);
  return names.map((name) => join(dir, name));
}

/** Byte offset of the body: just after the first empty line. */
export function bodyOf(raw: Buffer): Buffer {
  const at = raw.indexOf('\r\n\r\n');
  return at === -1 ? Buffer.alloc(0) : raw.subarray(at + 4);
}
