import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Lists the files of the spam and ham folders of the corpus (the SpamAssassin public corpus,
 * under `<corpusDir>/spam-ham`), in name order. Throws with the folder and the setting to
 * change when the corpus is missing.
 */
export async function listCorpus(corpusDir: string): Promise<string[]> {
  const files: string[] = [];
  for (const kind of ['ham', 'spam']) {
    const dir = join(corpusDir, 'spam-ham', kind);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      throw new Error(
        `corpus folder ${dir} could not be read (${(err as Error).message}); ` +
          'set MAILSHIELD_CORPUS_DIR to the folder that contains spam-ham/',
      );
    }
    files.push(...names.sort().map((name) => join(dir, name)));
  }
  if (files.length === 0) throw new Error(`no messages in ${join(corpusDir, 'spam-ham')}`);
  return files;
}

/**
 * Reads a corpus file as it would arrive over SMTP: without the leading mbox `From ` line,
 * and with CRLF line ends.
 */
export async function readCorpusMessage(path: string): Promise<Buffer> {
  let text = (await readFile(path)).toString('latin1');
  if (text.startsWith('From ')) text = text.slice(text.indexOf('\n') + 1);
  return Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'latin1');
}
