import { RetryLaterError } from '../errors.js';
import type {
  BusRecord,
  ConsumedRecord,
  MessageBus,
  SubscribeOptions,
  Subscription,
} from './types.js';

/** One `publish` call that succeeded. */
export interface PublishedBatch {
  topic: string;
  records: BusRecord[];
}

export interface MemoryBusOptions {
  /** Wait before a batch whose handler threw is offered again, in ms. Default 20. */
  retryDelayMs?: number;
}

interface ActiveSubscription {
  options: SubscribeOptions;
  /** Key of the group's committed offset on the topic. */
  offsetKey: string;
  isStopped: boolean;
  /** Ends the wait of an idle consumer loop. It is set only while the loop waits for records. */
  wake: (() => void) | undefined;
  /** Ends the pause before a batch is offered again. It is set only during that pause. */
  endPause: (() => void) | undefined;
  done: Promise<void>;
}

/**
 * An in-process, non-durable message bus for unit tests. Records live in memory only, so it
 * must never carry mail outside a test. It keeps the consumer contract of the real buses: a
 * group's offset moves only after its handler resolves, and a batch whose handler throws is
 * offered again after `retryDelayMs`, or after the delay of a `RetryLaterError` it threw.
 * Every topic has one partition (partition 0), and each batch contains every record the group
 * has not committed yet.
 */
export class MemoryBus implements MessageBus {
  readonly kind = 'memory';
  /** Every publish call that succeeded, in order, including calls with no records. */
  readonly publishes: PublishedBatch[] = [];
  /** While set, every publish rejects with this error, as with an unreachable broker. */
  publishError: Error | undefined;
  private readonly logs = new Map<string, ConsumedRecord[]>();
  private readonly committed = new Map<string, number>();
  private readonly active = new Set<ActiveSubscription>();
  private readonly retryDelayMs: number;
  private handedOver = 0;

  constructor(options: MemoryBusOptions = {}) {
    this.retryDelayMs = options.retryDelayMs ?? 20;
  }

  /** Options of the subscriptions not stopped yet, in the order they were made. */
  get subscriptions(): SubscribeOptions[] {
    return [...this.active].map((subscription) => subscription.options);
  }

  async publish(topic: string, records: BusRecord[]): Promise<void> {
    if (this.publishError !== undefined) throw this.publishError;
    const log = this.log(topic);
    for (const record of records) {
      log.push({ ...record, topic, partition: 0, offset: String(log.length) });
    }
    this.publishes.push({ topic, records });
    for (const subscription of this.active) {
      if (subscription.options.topic === topic) subscription.wake?.();
    }
  }

  /** Returns every record published to `topic`, in order. */
  records(topic: string): ConsumedRecord[] {
    return [...this.log(topic)];
  }

  /** Returns the group's committed offset on the topic: the number of records it has finished. */
  committedOffset(groupId: string, topic: string): number {
    return this.committed.get(offsetKey(groupId, topic)) ?? 0;
  }

  /**
   * Starts a consumer loop for the group. A group that committed before resumes there, except
   * an ephemeral one, which like a new group starts at the beginning or, with `fromLatest`,
   * at the end of the topic.
   */
  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const key = offsetKey(options.groupId, options.topic);
    if (options.isEphemeral === true || !this.committed.has(key)) {
      this.committed.set(key, options.fromLatest === true ? this.log(options.topic).length : 0);
    }
    const subscription: ActiveSubscription = {
      options,
      offsetKey: key,
      isStopped: false,
      wake: undefined,
      endPause: undefined,
      done: Promise.resolve(),
    };
    this.active.add(subscription);
    // The loop starts in a later microtask, so a handler never runs inside `subscribe` itself.
    subscription.done = Promise.resolve().then(() => this.consume(subscription));
    return {
      stop: async () => {
        subscription.isStopped = true;
        subscription.wake?.();
        subscription.endPause?.();
        await subscription.done;
        this.active.delete(subscription);
      },
    };
  }

  /**
   * Runs the handler of the first active subscription on `topic` once with `records`, outside
   * the topic's log: no offset moves and nothing is retried. A test awaits this to see one
   * batch handled, or the error its handler threw, which the consumer loop would retry.
   */
  async deliver(topic: string, records: BusRecord[]): Promise<void> {
    const subscription = [...this.active].find((candidate) => candidate.options.topic === topic);
    if (subscription === undefined) throw new Error(`memory bus: no subscription on ${topic}`);
    const consumed: ConsumedRecord[] = records.map((record) => ({
      ...record,
      topic,
      partition: 0,
      offset: String(this.handedOver++),
    }));
    await subscription.options.handleBatch(consumed);
  }

  async lag(groupId: string, topic: string): Promise<number | undefined> {
    return this.log(topic).length - this.committedOffset(groupId, topic);
  }

  async close(): Promise<void> {
    for (const subscription of this.active) {
      subscription.isStopped = true;
      subscription.wake?.();
      subscription.endPause?.();
    }
    await Promise.all([...this.active].map((subscription) => subscription.done));
    this.active.clear();
  }

  private async consume(subscription: ActiveSubscription): Promise<void> {
    const { options, offsetKey: key } = subscription;
    while (!subscription.isStopped) {
      const start = this.committed.get(key) ?? 0;
      const batch = this.log(options.topic).slice(start);
      if (batch.length === 0) {
        // No timer runs while idle, so a test that never stops the subscription can still exit.
        await new Promise<void>((resolve) => (subscription.wake = resolve));
        subscription.wake = undefined;
        continue;
      }
      try {
        await options.handleBatch(batch);
        this.committed.set(key, start + batch.length);
      } catch (err) {
        await pause(subscription, err instanceof RetryLaterError ? err.delayMs : this.retryDelayMs);
      }
    }
  }

  private log(topic: string): ConsumedRecord[] {
    let log = this.logs.get(topic);
    if (log === undefined) {
      log = [];
      this.logs.set(topic, log);
    }
    return log;
  }
}

/** Waits `ms`, or less when the subscription stops. */
async function pause(subscription: ActiveSubscription, ms: number): Promise<void> {
  if (subscription.isStopped) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(end, ms);
    function end() {
      clearTimeout(timer);
      resolve();
    }
    subscription.endPause = end;
  });
  subscription.endPause = undefined;
}

function offsetKey(groupId: string, topic: string): string {
  return `${groupId}\u0000${topic}`;
}
