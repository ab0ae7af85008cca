import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDirectoryAtomic, writeFileAtomic } from '@mailshield/common';
import { BackupSummary } from '@mailshield/proto/backup';
import type { MessageRecord, StageOutcome } from '@mailshield/proto/message';
import { backupNotFound, BackupUnreadableError, StoreCorruptError } from '../errors.js';
import { Mutex } from '../storage/mutex.js';
import {
  checkBackupInput,
  compareNewestFirst,
  decodePageToken,
  encodePageToken,
  isAfterCursor,
  pageLimit,
  summarize,
  type BackupPage,
  type BackupStore,
  type StoredBackup,
} from './backup-store.js';
import type { BackupKey } from './body-codec.js';
import { openOutcome, openRecord, sealOutcome, sealRecord } from './sealed-backup.js';

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

  async list(limit: number, pageToken: string, status: string): Promise<BackupPage> {
    const size = pageLimit(limit);
    const cursor = decodePageToken(pageToken);
    const matching = [...this.index.values()]
      .filter((summary) => status === '' || summary.status === status)
      .filter((summary) => cursor === undefined || isAfterCursor(summary, cursor))
      .sort(compareNewestFirst);
    const entries = matching.slice(0, size);
    const last = entries.at(-1);
    const hasMore = matching.length > size && last !== undefined;
    return {
      entries,
      nextPageToken: hasMore
        ? encodePageToken({ storedAtMs: last.storedAt!.getTime(), id: last.id })
        : '',
    };
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

  async close(): Promise<void> {}

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
