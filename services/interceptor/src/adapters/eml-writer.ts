import { randomBytes } from 'node:crypto';
import { mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Writes `raw` to `<dir>/<name>` atomically. A temporary file in the same folder is written,
 * fsynced and renamed over the final name, and then the folder is fsynced. So a reader never
 * sees a partial file, and a crash leaves either the whole file or none.
 */
export async function writeFileAtomically(dir: string, name: string, raw: Buffer): Promise<string> {
  await mkdir(dir, { recursive: true });
  const finalPath = join(dir, name);
  const tempPath = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await open(tempPath, 'wx');
  try {
    await file.writeFile(raw);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tempPath, finalPath);
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
  return finalPath;
}
