import { mkdir, open, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RetryLaterError } from '../errors.js';
import type { Logger } from '../logger.js';
import { JournalTopic } from './journal-topic.js';
import type {
  BusRecord,
  ConsumedRecord,
  MessageBus,
  SubscribeOptions,
  Subscription,
} from './types.js';

export interface JournalBusOptions {
  /** Folder of the journal; one process at a time may open it. */
  dir: string;
  /** Size at which a topic starts a new segment file, in bytes. */
  segmentBytes: number;
}

const MAX_BATCH_RECORDS = 64;
const MAX_BATCH_BYTES = 16 * 1024 * 1024;

/**
 * The message bus of the one-process local run: an on-disk journal with the same contract as
 * Kafka. `publish` resolves after the records are written and fsynced; a group's offset is
 * saved (write, fsync, rename) only after its handler resolved. A crash therefore re-delivers
 * the last batch, and never loses a record that `publish` acknowledged.
 */
export class JournalBus implements MessageBus {
  readonly kind = 'journal';
  private readonly topics = new Map<string, Promise<JournalTopic>>();
  private readonly subscriptions = new Set<{ stop(): Promise<void> }>();
  private lockPath: string;

  constructor(
    private readonly options: JournalBusOptions,
    private readonly logger: Logger,
  ) {
    this.lockPath = join(options.dir, 'LOCK');
  }

  /** Takes the journal's lock file, failing if another live process holds it. */
  async connect(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true });
    try {
      const pid = Number(await readFile(this.lockPath, 'utf8'));
      if (pid !== process.pid && isProcessAlive(pid)) {
        throw new Error(
          `journal ${this.options.dir} is in use by process ${pid}; stop it or use another MAILSHIELD_STATE_DIR`,
        );
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await writeFile(this.lockPath, String(process.pid));
  }

  private topic(name: string): Promise<JournalTopic> {
    let topic = this.topics.get(name);
    if (topic === undefined) {
      const created = new JournalTopic(join(this.options.dir, name), this.options.segmentBytes);
      topic = created.open().then(() => created);
      this.topics.set(name, topic);
    }
    return topic;
  }

  async publish(topic: string, records: BusRecord[]): Promise<void> {
    if (records.length === 0) return;
    await (await this.topic(topic)).append(records);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const topic = await this.topic(options.topic);
    const offsetFile = join(topic.dir, 'groups', `${options.groupId}.offset`);
    const saved = options.isEphemeral === true ? undefined : await readOffset(offsetFile);
    let position = saved ?? (options.fromLatest === true ? topic.end : topic.start);
    let isRunning = true;
    let wake: (() => void) | undefined;
    let endPause: (() => void) | undefined;
    const onAppended = () => wake?.();
    topic.on('appended', onAppended);
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(end, ms);
        function end() {
          clearTimeout(timer);
          endPause = undefined;
          resolve();
        }
        endPause = end;
      });

    const loop = async () => {
      let delayMs = 250;
      while (isRunning) {
        const { records, next } = await topic.read(position, MAX_BATCH_RECORDS, MAX_BATCH_BYTES);
        if (records.length === 0) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 1000);
          });
          wake = undefined;
          continue;
        }
        const consumed: ConsumedRecord[] = records.map(({ offset, record }) => ({
          ...record,
          topic: options.topic,
          partition: 0,
          offset: String(offset),
        }));
        try {
          await options.handleBatch(consumed);
          delayMs = 250;
        } catch (err) {
          if (err instanceof RetryLaterError) {
            this.logger.debug(
              {
                event: 'bus.retry_later',
                topic: options.topic,
                group: options.groupId,
                retry_ms: err.delayMs,
              },
              'records not due yet; the batch will be offered again',
            );
            await pause(err.delayMs);
            continue;
          }
          this.logger.warn(
            {
              err,
              event: 'bus.handler_failed',
              topic: options.topic,
              group: options.groupId,
              retry_ms: delayMs,
            },
            'batch handler failed; the batch will be offered again',
          );
          await pause(delayMs);
          delayMs = Math.min(delayMs * 2, 10_000);
          continue;
        }
        position = next;
        if (options.isEphemeral !== true) {
          await saveOffset(offsetFile, position);
          await this.deleteConsumedSegments(topic);
        }
      }
    };
    const running = loop().catch((err: unknown) => {
      this.logger.error(
        { err, event: 'bus.consumer_failed', topic: options.topic },
        'journal consumer stopped',
      );
    });
    const subscription = {
      stop: async () => {
        isRunning = false;
        wake?.();
        endPause?.();
        topic.off('appended', onAppended);
        await running;
        this.subscriptions.delete(subscription);
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** Removes segments that every group with saved offsets has read past. */
  private async deleteConsumedSegments(topic: JournalTopic): Promise<void> {
    const groupsDir = join(topic.dir, 'groups');
    const names = (await readdir(groupsDir).catch(() => [] as string[])).filter((n) =>
      n.endsWith('.offset'),
    );
    let lowest = Number.POSITIVE_INFINITY;
    for (const name of names)
      lowest = Math.min(lowest, (await readOffset(join(groupsDir, name))) ?? 0);
    if (Number.isFinite(lowest)) await topic.deleteBefore(lowest);
  }

  async lag(groupId: string, topicName: string): Promise<number | undefined> {
    const topic = await this.topic(topicName);
    const offset = await readOffset(join(topic.dir, 'groups', `${groupId}.offset`));
    return topic.countFrom(offset ?? topic.start);
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    for (const topic of this.topics.values()) await (await topic).close();
    this.topics.clear();
    await rm(this.lockPath, { force: true });
  }
}

async function readOffset(file: string): Promise<number | undefined> {
  try {
    const value = Number((await readFile(file, 'utf8')).trim());
    return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

async function saveOffset(file: string, offset: number): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true });
  const temp = `${file}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(String(offset));
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
}

function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
