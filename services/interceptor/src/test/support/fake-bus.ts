import type {
  BusRecord,
  ConsumedRecord,
  MessageBus,
  SubscribeOptions,
  Subscription,
} from '@mailshield/common';

/**
 * In-memory stand-in for the message bus in tests: one partition per topic, offsets committed
 * when a handler resolves, the same records offered again 20 ms after a handler throws.
 * `failPublish` makes every publish reject, as an unreachable Kafka would.
 */
export class FakeBus implements MessageBus {
  readonly kind = 'journal';
  failPublish = false;
  private readonly topics = new Map<string, ConsumedRecord[]>();
  private readonly committed = new Map<string, number>();
  private readonly loops = new Set<{ stopped: boolean; done: Promise<void> }>();

  async publish(topic: string, records: BusRecord[]): Promise<void> {
    if (this.failPublish) throw new Error('fake bus: publish failed');
    const log = this.log(topic);
    for (const record of records) {
      log.push({ ...record, topic, partition: 0, offset: String(log.length) });
    }
  }

  /** Returns every record published to `topic`, in order. */
  records(topic: string): ConsumedRecord[] {
    return [...this.log(topic)];
  }

  /** Offset the group has committed on the topic: the number of records it has finished. */
  committedOffset(groupId: string, topic: string): number {
    return this.committed.get(`${groupId}\u0000${topic}`) ?? 0;
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const key = `${options.groupId}\u0000${options.topic}`;
    if (!this.committed.has(key))
      this.committed.set(key, options.fromLatest === true ? this.log(options.topic).length : 0);
    const loop = { stopped: false, done: Promise.resolve() };
    loop.done = this.consume(options, key, loop);
    this.loops.add(loop);
    return {
      stop: async () => {
        loop.stopped = true;
        await loop.done;
        this.loops.delete(loop);
      },
    };
  }

  async lag(groupId: string, topic: string): Promise<number | undefined> {
    return this.log(topic).length - this.committedOffset(groupId, topic);
  }

  async close(): Promise<void> {
    for (const loop of this.loops) loop.stopped = true;
    await Promise.all([...this.loops].map((loop) => loop.done));
  }

  private async consume(
    options: SubscribeOptions,
    key: string,
    loop: { stopped: boolean },
  ): Promise<void> {
    while (!loop.stopped) {
      const start = this.committed.get(key) ?? 0;
      const batch = this.log(options.topic).slice(start);
      if (batch.length === 0) {
        await sleep(5);
        continue;
      }
      try {
        await options.handleBatch(batch);
        this.committed.set(key, start + batch.length);
      } catch {
        await sleep(20);
      }
    }
  }

  private log(topic: string): ConsumedRecord[] {
    let log = this.topics.get(topic);
    if (log === undefined) {
      log = [];
      this.topics.set(topic, log);
    }
    return log;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
