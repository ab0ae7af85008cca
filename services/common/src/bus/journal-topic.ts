import { EventEmitter } from 'node:events';
import { mkdir, open, readdir, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  decodeFrameBody,
  encodeFrame,
  FRAME_HEADER_BYTES,
  isFrameIntact,
} from './journal-frame.js';
import type { BusRecord } from './types.js';

interface Segment {
  base: number;
  size: number;
  path: string;
}

export interface ReadResult {
  records: { offset: number; record: BusRecord }[];
  next: number;
}

/**
 * One topic of the on-disk journal: append-only segment files named by the global byte
 * offset they start at. Appends are group-committed: every record handed in while a write is
 * in flight goes out in the next single write followed by one fdatasync.
 */
export class JournalTopic extends EventEmitter<{ appended: [] }> {
  private segments: Segment[] = [];
  private writer: FileHandle | undefined;
  private queue: { frames: Buffer[]; resolve: () => void; reject: (err: unknown) => void }[] = [];
  private isWriting = false;
  /** Read handles by segment path; promises, so two readers racing to open one share it. */
  private readonly readers = new Map<string, Promise<FileHandle>>();

  constructor(
    readonly dir: string,
    private readonly segmentBytes: number,
  ) {
    super();
    this.setMaxListeners(0);
  }

  /** Loads the segments and cuts a torn frame off the end of the last one. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const names = (await readdir(this.dir)).filter((name) => name.endsWith('.log')).sort();
    for (const name of names) {
      const path = join(this.dir, name);
      this.segments.push({ base: Number(name.slice(0, -4)), size: (await stat(path)).size, path });
    }
    if (this.segments.length === 0) this.segments.push(this.segmentAt(0));
    const last = this.segments[this.segments.length - 1]!;
    this.writer = await open(last.path, 'a+');
    last.size = await this.validLength(this.writer, last.size);
    await this.writer.truncate(last.size);
    await this.writer.datasync();
  }

  get start(): number {
    return this.segments[0]!.base;
  }

  get end(): number {
    const last = this.segments[this.segments.length - 1]!;
    return last.base + last.size;
  }

  append(records: BusRecord[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ frames: records.map(encodeFrame), resolve, reject });
      if (!this.isWriting) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.isWriting = true;
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.rollIfFull();
        const data = Buffer.concat(batch.flatMap((item) => item.frames));
        await this.writer!.write(data, 0, data.length, null);
        await this.writer!.datasync();
        this.segments[this.segments.length - 1]!.size += data.length;
        for (const item of batch) item.resolve();
        this.emit('appended');
      } catch (err) {
        for (const item of batch) item.reject(err);
      }
    }
    this.isWriting = false;
  }

  private async rollIfFull(): Promise<void> {
    const last = this.segments[this.segments.length - 1]!;
    if (last.size < this.segmentBytes) return;
    const next = this.segmentAt(last.base + last.size);
    const handle = await open(next.path, 'a+');
    await this.writer!.close();
    this.writer = handle;
    this.segments.push(next);
  }

  /** Reads whole records from `offset` on, up to about `maxBytes`. */
  async read(offset: number, maxRecords: number, maxBytes: number): Promise<ReadResult> {
    const records: ReadResult['records'] = [];
    let position = Math.max(offset, this.start);
    let bytes = 0;
    while (records.length < maxRecords && bytes < maxBytes && position < this.end) {
      const segment = this.segmentFor(position);
      if (segment === undefined) break;
      if (position >= segment.base + segment.size) {
        position = segment.base + segment.size;
        if (segment === this.segments[this.segments.length - 1]) break;
        continue;
      }
      const handle = await this.reader(segment);
      const head = Buffer.alloc(FRAME_HEADER_BYTES);
      await handle.read(head, 0, FRAME_HEADER_BYTES, position - segment.base);
      const length = head.readUInt32BE(0);
      const body = Buffer.alloc(length);
      await handle.read(body, 0, length, position - segment.base + FRAME_HEADER_BYTES);
      if (!isFrameIntact(body, head.readUInt32BE(4))) {
        throw new Error(`journal frame at ${position} in ${segment.path} is corrupt`);
      }
      records.push({ offset: position, record: decodeFrameBody(body) });
      position += FRAME_HEADER_BYTES + length;
      bytes += length;
    }
    return { records, next: position };
  }

  /** Counts the records between `offset` and the end. */
  async countFrom(offset: number): Promise<number> {
    let count = 0;
    let position = Math.max(offset, this.start);
    const head = Buffer.alloc(FRAME_HEADER_BYTES);
    while (position < this.end) {
      const segment = this.segmentFor(position);
      if (segment === undefined) break;
      if (position >= segment.base + segment.size) {
        position = segment.base + segment.size;
        if (segment === this.segments[this.segments.length - 1]) break;
        continue;
      }
      await (await this.reader(segment)).read(head, 0, FRAME_HEADER_BYTES, position - segment.base);
      position += FRAME_HEADER_BYTES + head.readUInt32BE(0);
      count += 1;
    }
    return count;
  }

  /** Deletes whole segments that end at or before `offset` (all groups are past them). */
  async deleteBefore(offset: number): Promise<void> {
    while (this.segments.length > 1) {
      const first = this.segments[0]!;
      if (first.base + first.size > offset) return;
      this.segments.shift();
      await (await this.readers.get(first.path))?.close();
      this.readers.delete(first.path);
      await rm(first.path, { force: true });
    }
  }

  async close(): Promise<void> {
    while (this.isWriting) await new Promise((resolve) => setTimeout(resolve, 5));
    await this.writer?.close();
    for (const handle of this.readers.values()) await (await handle).close();
    this.readers.clear();
  }

  private segmentAt(base: number): Segment {
    return { base, size: 0, path: join(this.dir, `${String(base).padStart(20, '0')}.log`) };
  }

  private segmentFor(position: number): Segment | undefined {
    for (let i = this.segments.length - 1; i >= 0; i -= 1) {
      if (this.segments[i]!.base <= position) return this.segments[i];
    }
    return undefined;
  }

  private reader(segment: Segment): Promise<FileHandle> {
    let handle = this.readers.get(segment.path);
    if (handle === undefined) {
      handle = open(segment.path, 'r');
      this.readers.set(segment.path, handle);
    }
    return handle;
  }

  /** Length of the prefix of the file made of whole frames with matching checksums. */
  private async validLength(handle: FileHandle, size: number): Promise<number> {
    let position = 0;
    const head = Buffer.alloc(FRAME_HEADER_BYTES);
    while (position + FRAME_HEADER_BYTES <= size) {
      await handle.read(head, 0, FRAME_HEADER_BYTES, position);
      const length = head.readUInt32BE(0);
      if (position + FRAME_HEADER_BYTES + length > size) break;
      const body = Buffer.alloc(length);
      await handle.read(body, 0, length, position + FRAME_HEADER_BYTES);
      if (!isFrameIntact(body, head.readUInt32BE(4))) break;
      position += FRAME_HEADER_BYTES + length;
    }
    return position;
  }
}
