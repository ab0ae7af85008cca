import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MessageClass } from '../engine/bayes/model.js';

export interface CorpusMessage {
  /** File name inside ham/ or spam/; the split is computed from it. */
  name: string;
  label: MessageClass;
  /** The message without the mbox `From ` line. */
  raw: Buffer;
}

/**
 * Removes a leading mbox separator line (`From sender date`), which is not a header field and
 * which no MTA would pass on.
 */
export function stripMboxFromLine(raw: Buffer): Buffer {
  if (raw.subarray(0, 5).toString('latin1') !== 'From ') return raw;
  const end = raw.indexOf(0x0a);
  return end < 0 ? Buffer.alloc(0) : raw.subarray(end + 1);
}

async function loadFolder(dir: string, label: MessageClass): Promise<CorpusMessage[]> {
  const names = (await readdir(dir)).sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      label,
      raw: stripMboxFromLine(await readFile(join(dir, name))),
    })),
  );
}

/** Reads every message of a corpus folder with `ham/` and `spam/` subfolders, sorted by name. */
export async function loadCorpus(dir: string): Promise<CorpusMessage[]> {
  const ham = await loadFolder(join(dir, 'ham'), 'ham');
  const spam = await loadFolder(join(dir, 'spam'), 'spam');
  return [...ham, ...spam];
}
