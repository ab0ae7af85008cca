import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@mailshield/common';

export interface RamStoreOptions {
  /** Folder of this instance; only entries named `msg-*` inside it are ever removed. */
  folder: string;
  /** Bytes of objects kept at once. An object that does not fit is scanned from memory. */
  maxBytes: number;
}

const messagePrefix = 'msg-';

/**
 * Temporary files of the objects being scanned, for a clamd that shares the folder and scans
 * by path. The folder should be RAM-backed (tmpfs, or an emptyDir with medium Memory), and
 * other scanners on the host must exclude it, because it contains the malware being scanned.
 */
export class RamStore {
  private usedBytes = 0;

  private constructor(private readonly options: RamStoreOptions) {}

  /** Creates the folder and removes what an earlier run of this instance left behind. */
  static async open(options: RamStoreOptions, logger: Logger): Promise<RamStore> {
    await mkdir(options.folder, { recursive: true, mode: 0o750 });
    const leftovers = (await readdir(options.folder)).filter((name) =>
      name.startsWith(messagePrefix),
    );
    await Promise.all(
      leftovers.map((name) => rm(join(options.folder, name), { recursive: true, force: true })),
    );
    if (leftovers.length > 0) {
      logger.info(
        { event: 'store.cleaned', folder: options.folder, removed: leftovers.length },
        'removed objects left in the scan store by an earlier run',
      );
    }
    return new RamStore(options);
  }

  /** Bytes of objects in the store now. */
  get bytesInUse(): number {
    return this.usedBytes;
  }

  /** Starts the files of one message; the caller must call `cleanup()` when its scan ends. */
  openMessage(): MessageFolder {
    return new MessageFolder(join(this.options.folder, `${messagePrefix}${randomUUID()}`), this);
  }

  /** @internal Takes `bytes` from the budget; false when they do not fit now. */
  reserve(bytes: number): boolean {
    if (this.usedBytes + bytes > this.options.maxBytes) return false;
    this.usedBytes += bytes;
    return true;
  }

  /** @internal */
  release(bytes: number): void {
    this.usedBytes -= bytes;
  }
}

/**
 * The files of one message's objects, named `<prefix>-object-<n>` in the store folder. Flat
 * files cost less than a folder per message, which would need a mkdir and a recursive rm.
 */
export class MessageFolder {
  private readonly files: string[] = [];
  private reservedBytes = 0;

  constructor(
    private readonly prefix: string,
    private readonly store: RamStore,
  ) {}

  /**
   * Writes one object and returns its path, or undefined when the store is full. It never
   * waits for space, because two messages waiting for each other's space would never finish.
   */
  async write(content: Buffer): Promise<string | undefined> {
    if (!this.store.reserve(content.length)) return undefined;
    this.reservedBytes += content.length;
    const file = `${this.prefix}-object-${this.files.length}`;
    this.files.push(file);
    await writeFile(file, content, { mode: 0o640 });
    return file;
  }

  /** Removes the message's files and returns their bytes to the store. */
  async cleanup(): Promise<void> {
    try {
      await Promise.all(this.files.map((file) => unlink(file).catch(() => undefined)));
    } finally {
      this.store.release(this.reservedBytes);
      this.reservedBytes = 0;
    }
  }
}
