import type {
  BusRecord,
  ConsumedRecord,
  MessageBus,
  SubscribeOptions,
  Subscription,
} from '@mailshield/common';

/** An in-memory stand-in for the message bus, for unit tests only: nothing is durable. */
export class FakeBus implements MessageBus {
  readonly kind = 'journal' as const;
  /** Every publish call, in order, with its topic and records. */
  readonly publishes: { topic: string; records: BusRecord[] }[] = [];
  readonly subscriptions: SubscribeOptions[] = [];
  /** When set, the next publish rejects with this error. */
  failNextPublish: Error | undefined;
  private offset = 0;

  async publish(topic: string, records: BusRecord[]): Promise<void> {
    const failure = this.failNextPublish;
    this.failNextPublish = undefined;
    if (failure !== undefined) throw failure;
    this.publishes.push({ topic, records });
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.subscriptions.push(options);
    return { stop: async () => undefined };
  }

  async lag(): Promise<number | undefined> {
    return 7;
  }

  async close(): Promise<void> {}

  /** Hands records to the handler of the subscription on `topic`, as the bus would. */
  async deliver(topic: string, records: BusRecord[]): Promise<void> {
    const subscription = this.subscriptions.find((candidate) => candidate.topic === topic);
    if (subscription === undefined) throw new Error(`no subscription on ${topic}`);
    const consumed: ConsumedRecord[] = records.map((record) => ({
      ...record,
      topic,
      partition: 0,
      offset: String(this.offset++),
    }));
    await subscription.handleBatch(consumed);
  }
}
