import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createDirectoryAtomic, writeFileAtomic } from '@mailshield/common';
import { BackupSummary } from '@mailshield/proto/backup';
import type { MessageRecord, StageOutcome } from '@mailshield/proto/message';
import { backupNotFound, BackupUnreadableError, StoreCorruptError } from '../errors.js';
import { Mutex } from '../storage/mutex.js';
import {
  checkBackupInput,
  checkBackupQuery,
  compareNewestFirst,
  decodePageToken,
  isAfterCursor,
  matchesQuery,
  pageLimit,
  pageOf,
  summarize,
  type BackupPage,
  type BackupQuery,
  type BackupStats,
  type BackupStore,
  type PurgeReason,
  type PurgedBackup,
  type RetentionLimits,
  type StoredBackup,
} from './backup-store.js';
import type { BackupKey } from './body-codec.js';
import { openOutcome, openRecord, sealOutcome, sealRecord } from './sealed-backup.js';

/** Name prefix of a folder being removed. */
const deletedPrefix = '.deleted-';

interface Release {
  at: string;
  actor: string;
  recipients: string[];
}

/**
 * Backups as one folder per message under `directory`, named by the base64url of the id:
 * `record.bin` (the whole record, raw included) and `outcome.bin`, both sealed with `key`,
 * `summary.json` in clear, and `releases.json` once released. Folders written before sealing
 * hold a plain `record.bin` without raw plus `message.eml`, and still read. Summaries are
 * indexed in memory at open.
 */
export class FileBackupStore implements BackupStore {
  private readonly index = new Map<string, BackupSummary>();
  private readonly mutex = new Mutex();

  constructor(
    private readonly directory: string,
    private readonly key: BackupKey,
  ) {}

  async open(): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    for (const name of await readdir(this.directory)) {
      if (name.startsWith(deletedPrefix))
        await rm(join(this.directory, name), { recursive: true, force: true });
      if (name.startsWith('.')) continue;
      const summary = await this.readSummary(join(this.directory, name));
      this.index.set(summary.id, summary);
    }
  }

  async store(record: MessageRecord, outcome: StageOutcome): Promise<boolean> {
    checkBackupInput(record, outcome);
    if (this.index.has(record.id)) return false;
    const summary = summarize(record, outcome, new Date());
    const isCreated = await createDirectoryAtomic(this.folderOf(record.id), {
      'record.bin': sealRecord(this.key, record),
      'outcome.bin': sealOutcome(this.key, outcome),
      'summary.json': JSON.stringify(BackupSummary.toJSON(summary)),
    });
    if (isCreated) this.index.set(record.id, summary);
    return isCreated;
  }

  async list(query: BackupQuery): Promise<BackupPage> {
    checkBackupQuery(query);
    const size = pageLimit(query.limit);
    const cursor = decodePageToken(query.pageToken, query);
    const matching = [...this.index.values()]
      .filter((summary) => matchesQuery(summary, query))
      .filter((summary) => cursor === undefined || isAfterCursor(summary, cursor))
      .sort(compareNewestFirst);
    return pageOf(matching, size, query);
  }

  async get(id: string): Promise<StoredBackup> {
    const summary = this.index.get(id);
    if (summary === undefined) throw backupNotFound(id);
    const folder = this.folderOf(id);
    try {
      const [record, outcome] = await Promise.all([
        readFile(join(folder, 'record.bin')),
        readFile(join(folder, 'outcome.bin')),
      ]);
      return {
        summary,
        record: await openRecord(this.key, id, record, () => readFile(join(folder, 'message.eml'))),
        outcome: openOutcome(this.key, id, outcome),
      };
    } catch (err) {
      if (err instanceof BackupUnreadableError) throw err;
      throw new StoreCorruptError(`backup folder ${folder} cannot be read`, { cause: err });
    }
  }

  markReleased(id: string, at: Date, actor: string, recipients: string[] = []): Promise<void> {
    return this.mutex.run(async () => {
      const summary = this.index.get(id);
      if (summary === undefined) throw backupNotFound(id);
      const releases = await this.readReleases(this.folderOf(id));
      releases.push({ at: at.toISOString(), actor, recipients });
      await writeFileAtomic(join(this.folderOf(id), 'releases.json'), JSON.stringify(releases));
      this.index.set(id, { ...summary, releasedAt: at });
    });
  }

  delete(id: string): Promise<BackupSummary> {
    return this.mutex.run(async () => {
      const summary = this.index.get(id);
      if (summary === undefined) throw backupNotFound(id);
      await this.removeFolder(id);
      return summary;
    });
  }

  async stats(): Promise<BackupStats> {
    let bytes = 0;
    for (const summary of this.index.values()) bytes += summary.sizeBytes;
    return { count: this.index.size, bytes };
  }

  purge(limits: RetentionLimits, now: Date): Promise<PurgedBackup[]> {
    return this.mutex.run(async () => {
      const oldestFirst = [...this.index.values()].sort(compareNewestFirst).reverse();
      const stats = await this.stats();
      const purged: PurgedBackup[] = [];
      const remove = async (summary: BackupSummary, reason: PurgeReason) => {
        await this.removeFolder(summary.id);
        purged.push({ id: summary.id, sizeBytes: summary.sizeBytes, reason });
        stats.count -= 1;
        stats.bytes -= summary.sizeBytes;
      };
      const cutoffMs = now.getTime() - limits.maxAgeMs;
      for (const summary of oldestFirst) {
        if (limits.maxAgeMs > 0 && (summary.storedAt?.getTime() ?? 0) < cutoffMs)
          await remove(summary, 'age');
        else if (limits.maxCount > 0 && stats.count > limits.maxCount)
          await remove(summary, 'count');
        else if (limits.maxTotalBytes > 0 && stats.bytes > limits.maxTotalBytes)
          await remove(summary, 'size');
        else break;
      }
      return purged;
    });
  }

  async close(): Promise<void> {}

  /**
   * Renames the folder to a dot name before removing it, so a crash in the middle leaves
   * nothing that `open` would read as a backup. `open` removes such leftovers.
   */
  private async removeFolder(id: string): Promise<void> {
    const folder = this.folderOf(id);
    const doomed = join(this.directory, `${deletedPrefix}${basename(folder)}`);
    await rename(folder, doomed);
    this.index.delete(id);
    await rm(doomed, { recursive: true, force: true });
  }

  private folderOf(id: string): string {
    return join(this.directory, Buffer.from(id).toString('base64url'));
  }

  private async readSummary(folder: string): Promise<BackupSummary> {
    try {
      const summary = BackupSummary.fromJSON(
        JSON.parse(await readFile(join(folder, 'summary.json'), 'utf8')),
      );
      const lastRelease = (await this.readReleases(folder)).at(-1);
      return {
        ...summary,
        releasedAt: lastRelease === undefined ? undefined : new Date(lastRelease.at),
      };
    } catch (err) {
      throw new StoreCorruptError(`backup folder ${folder} cannot be read`, { cause: err });
    }
  }

  private async readReleases(folder: string): Promise<Release[]> {
    try {
      return JSON.parse(await readFile(join(folder, 'releases.json'), 'utf8')) as Release[];
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }
}
