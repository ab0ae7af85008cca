import { mkdir, open, readFile, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StoreCorruptError } from '../errors.js';
import { Mutex } from '../storage/mutex.js';
import { auditLimit, type AuditEntry, type AuditLog, type AuditQuery } from './audit-log.js';

/**
 * The audit log as one JSON object per line in `path`, opened for appending only. Each entry
 * is fsynced before `record` returns. A last line without its newline is a write cut short by
 * a crash: `list` skips it, and `open` removes it so the next entry starts on a line of its own.
 */
export class FileAuditLog implements AuditLog {
  private readonly mutex = new Mutex();
  private file: FileHandle | undefined;

  constructor(private readonly path: string) {}

  async open(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    this.file = await open(this.path, 'a', 0o600);
    const complete = await this.completeLength();
    const { size } = await this.file.stat();
    if (complete < size) await truncate(this.path, complete);
  }

  /**
   * Returns the length of the file up to its last newline. Bytes after it belong to a write
   * that a crash cut short, and `record` had not returned for that write, so no caller relied on it.
   */
  private async completeLength(): Promise<number> {
    const reader = await open(this.path, 'r');
    try {
      const { size } = await reader.stat();
      const chunk = Buffer.alloc(64 * 1024);
      let end = size;
      while (end > 0) {
        const start = Math.max(0, end - chunk.length);
        const { bytesRead } = await reader.read(chunk, 0, end - start, start);
        const newline = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
        if (newline !== -1) return start + newline + 1;
        end = start;
      }
      return 0;
    } finally {
      await reader.close();
    }
  }

  record(entry: Omit<AuditEntry, 'at'>): Promise<void> {
    const line = JSON.stringify({
      at: new Date().toISOString(),
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      detail: entry.detail,
    });
    return this.mutex.run(() => this.append(`${line}\n`));
  }

  // NOTE: every call reads the whole file, and the file is never rotated.
  async list(query: AuditQuery): Promise<AuditEntry[]> {
    const lines = (await this.readText()).split('\n');
    // The last element is '' after a complete line, or the cut-short line after a crash.
    lines.pop();
    const limit = auditLimit(query.limit);
    const entries: AuditEntry[] = [];
    for (let index = lines.length - 1; index >= 0 && entries.length < limit; index -= 1) {
      const line = lines[index]!;
      if (line === '') continue;
      const entry = parseEntry(line, this.path, index + 1);
      if (query.target !== '' && entry.target !== query.target) continue;
      if (query.actor !== '' && entry.actor !== query.actor) continue;
      entries.push(entry);
    }
    return entries;
  }

  async close(): Promise<void> {
    await this.mutex.run(async () => {
      await this.file?.close();
      this.file = undefined;
    });
  }

  private async append(text: string): Promise<void> {
    if (this.file === undefined) throw new Error(`audit log ${this.path} is not open`);
    await this.file.appendFile(text, 'utf8');
    await this.file.sync();
  }

  private async readText(): Promise<string> {
    try {
      return await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw err;
    }
  }
}

function parseEntry(line: string, path: string, lineNumber: number): AuditEntry {
  try {
    const value = JSON.parse(line) as Record<string, unknown>;
    const at = new Date(String(value['at']));
    if (Number.isNaN(at.getTime())) throw new Error('"at" is not a time');
    return {
      at,
      actor: String(value['actor'] ?? ''),
      action: String(value['action'] ?? ''),
      target: String(value['target'] ?? ''),
      detail: String(value['detail'] ?? ''),
    };
  } catch (err) {
    throw new StoreCorruptError(
      `audit log ${path} line ${lineNumber} cannot be read: ${(err as Error).message}. ` +
        'Repair or remove that line.',
      { cause: err },
    );
  }
}
