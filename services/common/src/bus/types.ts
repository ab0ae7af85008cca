/** One record to publish: the key (the message id) decides the partition. */
export interface BusRecord {
  key: string;
  value: Buffer;
  /** Text headers, such as the W3C trace context. */
  headers: Record<string, string>;
}

/** A record read from a topic. */
export interface ConsumedRecord extends BusRecord {
  topic: string;
  partition: number;
  /** Position in the partition, as a decimal string. */
  offset: string;
}

export interface SubscribeOptions {
  topic: string;
  groupId: string;
  /**
   * Called with the next records of one partition. When it resolves, their offsets are
   * committed. When it throws, nothing is committed and the same records are offered again
   * after a backoff, so a handler must only resolve once its output is durable.
   */
  handleBatch: (records: ConsumedRecord[]) => Promise<void>;
  /** Start a new group at the end of the topic instead of the beginning. Default false. */
  fromLatest?: boolean;
  /**
   * The group is private to this process and keeps no committed offsets across restarts,
   * such as the before-queue verdict listener of one interceptor.
   */
  isEphemeral?: boolean;
}

export interface Subscription {
  /** Stops reading, waits for the handler in flight, and leaves the group. */
  stop(): Promise<void>;
}

/**
 * The durable message log between stages: Kafka in production, an on-disk journal in the
 * one-process local run. Both keep the same contract: `publish` resolves only once every
 * record is durable (Kafka acks=all, or written and fsynced), and a consumer's offsets move
 * only after its handler resolves. The `memory` kind is the non-durable MemoryBus of unit
 * tests, which keeps only the consumer half of that contract.
 */
export interface MessageBus {
  readonly kind: 'kafka' | 'journal' | 'memory';
  publish(topic: string, records: BusRecord[]): Promise<void>;
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** Total records not yet consumed by a group, per topic, where the bus can tell. */
  lag(groupId: string, topic: string): Promise<number | undefined>;
  close(): Promise<void>;
}
