import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ConfigError, type Logger } from '@mailshield/common';
import { BackupKey, backupKeyBytes } from './body-codec.js';

/**
 * Parses a key written as 64 hex digits or as base64 (standard or URL alphabet) of 32 bytes.
 * Returns the reason as a string when the text is not such a key.
 */
export function parseBackupKey(text: string): BackupKey | string {
  const trimmed = text.trim();
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) bytes = Buffer.from(trimmed, 'hex');
  else if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) bytes = Buffer.from(trimmed, 'base64');
  if (bytes === undefined) return `expected ${backupKeyBytes} bytes as base64 or hex`;
  if (bytes.length !== backupKeyBytes)
    return `holds ${bytes.length} bytes, expected ${backupKeyBytes} (create one with: openssl rand -base64 32)`;
  return new BackupKey(bytes);
}

/** Path of the key the one-process run creates when none is configured. */
export function generatedKeyPath(stateDir: string): string {
  return join(stateDir, 'control-plane', 'backup.key');
}

/**
 * Returns the configured Backup key. Without one, the file stores use the key in
 * `<state dir>/control-plane/backup.key`, which this creates with mode 0600 on first start.
 */
export async function resolveBackupKey(
  options: { backupKey: BackupKey | undefined; databaseUrl: string | undefined; stateDir: string },
  logger: Logger,
): Promise<BackupKey> {
  if (options.backupKey !== undefined) return options.backupKey;
  if (options.databaseUrl !== undefined)
    throw new ConfigError([
      'MAILSHIELD_BACKUP_KEY_FILE or MAILSHIELD_BACKUP_KEY is required with MAILSHIELD_DATABASE_URL',
    ]);
  const path = generatedKeyPath(options.stateDir);
  if (await createKeyFile(path))
    logger.warn(
      { event: 'backup.key_generated', path },
      'no backup key is configured, so a new one was generated. Back it up with the state folder, because Backup cannot be read without it',
    );
  const key = parseBackupKey(await readFile(path, 'utf8'));
  if (typeof key === 'string')
    throw new ConfigError([`backup key file ${path} is invalid: ${key}. Restore it from a copy.`]);
  return key;
}

/** Creates the key file unless it exists. link(2) never replaces a file, so a race keeps one key. */
async function createKeyFile(path: string): Promise<boolean> {
  const folder = dirname(path);
  await mkdir(folder, { recursive: true });
  const temporary = join(folder, `.tmp-${basename(path)}-${randomBytes(6).toString('hex')}`);
  await writeSecret(temporary, `${randomBytes(backupKeyBytes).toString('base64')}\n`);
  try {
    await link(temporary, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(temporary, { force: true });
  }
  await syncFile(folder);
  return true;
}

async function writeSecret(path: string, text: string): Promise<void> {
  const handle = await open(path, 'wx', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
