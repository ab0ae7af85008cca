import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Flushes a folder's entries to disk, so a rename inside it survives a crash. */
export async function fsyncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to `path` and fsyncs it; the file must not exist yet. */
export async function writeSynced(path: string, data: Uint8Array | string): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A temporary name next to `path`, starting with a dot so listings can skip it. */
export function temporaryPath(path: string): string {
  return join(dirname(path), `.tmp-${basename(path)}-${randomBytes(6).toString('hex')}`);
}

/**
 * Replaces `path` atomically: the data goes to a temporary file that is fsynced, renamed
 * over `path`, and the folder is fsynced. A crash leaves the old or the new content, never
 * a mix.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = temporaryPath(path);
  try {
    await writeSynced(temporary, data);
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
  await fsyncDirectory(dirname(path));
}

/**
 * Creates the folder `path` with the given files, all or nothing: the files are written and
 * fsynced in a temporary folder that is then renamed to `path`. Returns false, and leaves
 * the existing folder untouched, when `path` already exists.
 */
export async function createDirectoryAtomic(
  path: string,
  files: Record<string, Uint8Array | string>,
): Promise<boolean> {
  const parent = dirname(path);
  await mkdir(parent, { recursive: true });
  const temporary = temporaryPath(path);
  await mkdir(temporary);
  try {
    for (const [name, data] of Object.entries(files))
      await writeSynced(join(temporary, name), data);
    await fsyncDirectory(temporary);
    // rename(2) refuses to replace a non-empty folder, which makes this an atomic create.
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { recursive: true, force: true });
    if (isAlreadyExists(err)) return false;
    throw err;
  }
  await fsyncDirectory(parent);
  return true;
}

function isAlreadyExists(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOTEMPTY' || code === 'EEXIST';
}
