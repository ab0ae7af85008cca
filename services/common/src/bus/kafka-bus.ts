import {
  Kafka,
  logLevel as KafkaLogLevel,
  Partitioners,
  type Admin,
  type Consumer,
  type KafkaMessage,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import { RetryLaterError } from '../errors.js';
import type { Logger } from '../logger.js';
import { Topics } from './topics.js';
import type {
  BusRecord,
  ConsumedRecord,
  MessageBus,
  SubscribeOptions,
  Subscription,
} from './types.js';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  /** Partitions for topics this bus creates when they are missing. */
  partitions: number;
  /** Largest record, in bytes; topics are created with max.message.bytes set to it. */
  maxRecordBytes: number;
}

const kafkaLevels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/**
 * The message bus on Apache Kafka: records are produced with acks=all, and a consumer commits
 * a partition's offsets only after its handler resolved for the whole batch.
 */
export class KafkaBus implements MessageBus {
  readonly kind = 'kafka';
  private readonly kafka: Kafka;
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  private readonly consumers = new Set<Consumer>();
  private pending: {
    topic: string;
    records: BusRecord[];
    resolve: () => void;
    reject: (err: unknown) => void;
  }[] = [];
  private isFlushScheduled = false;

  constructor(
    private readonly options: KafkaBusOptions,
    private readonly logger: Logger,
  ) {
    const kafkaLogger = logger.child({ component: 'kafka' });
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      connectionTimeout: 3000,
      requestTimeout: 30000,
      retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
      logLevel: KafkaLogLevel.WARN,
      logCreator: () => (entry: LogEntry) => {
        const { message, ...fields } = entry.log;
        kafkaLogger[kafkaLevels[entry.level] ?? 'info']({ ...fields, event: 'kafka.log' }, message);
      },
    });
  }

  /** Connects the producer and creates the message topics that are missing. */
  async connect(): Promise<void> {
    this.admin = this.kafka.admin();
    await this.admin.connect();
    await this.ensureTopics(Object.values(Topics));
    this.producer = this.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      idempotent: true,
      maxInFlightRequests: 5,
    });
    await this.producer.connect();
  }

  private async ensureTopics(topics: string[]): Promise<void> {
    const existing = new Set(await this.admin!.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    await this.admin!.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({
        topic,
        numPartitions: this.options.partitions,
        configEntries: [{ name: 'max.message.bytes', value: String(this.options.maxRecordBytes) }],
      })),
    });
    this.logger.info({ event: 'kafka.topics_created', topics: missing }, 'created missing topics');
  }

  /**
   * Publishes with acks=all. Calls made in the same tick go out in one request, so concurrent
   * SMTP sessions share a round trip to the broker.
   */
  publish(topic: string, records: BusRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.pending.push({ topic, records, resolve, reject });
      if (!this.isFlushScheduled) {
        this.isFlushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.isFlushScheduled = false;
    const byTopic = new Map<string, BusRecord[]>();
    for (const item of batch)
      byTopic.set(item.topic, [...(byTopic.get(item.topic) ?? []), ...item.records]);
    try {
      if (this.producer === undefined) throw new Error('Kafka producer is not connected');
      await this.producer.sendBatch({
        acks: -1,
        timeout: 30000,
        topicMessages: [...byTopic].map(([topic, records]) => ({
          topic,
          messages: records.map((record) => ({
            key: record.key,
            value: record.value,
            headers: record.headers,
          })),
        })),
      });
      for (const item of batch) item.resolve();
    } catch (err) {
      for (const item of batch) item.reject(err);
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      maxBytesPerPartition: this.options.maxRecordBytes,
      maxBytes: this.options.maxRecordBytes * 2,
      sessionTimeout: 30000,
      heartbeatInterval: 3000,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: options.topic, fromBeginning: options.fromLatest !== true });
    this.consumers.add(consumer);
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({
        batch,
        heartbeat,
        isRunning,
        isStale,
        commitOffsetsIfNecessary,
        resolveOffset,
      }) => {
        if (batch.messages.length === 0) return;
        const records = batch.messages.map((message) =>
          toConsumed(batch.topic, batch.partition, message),
        );
        const isDone = await this.handleWithRetry(
          options,
          records,
          heartbeat,
          () => isRunning() && !isStale(),
        );
        if (!isDone) return;
        const last = batch.messages[batch.messages.length - 1]!.offset;
        resolveOffset(last);
        await consumer.commitOffsets([
          {
            topic: batch.topic,
            partition: batch.partition,
            offset: (BigInt(last) + 1n).toString(),
          },
        ]);
        await commitOffsetsIfNecessary();
      },
    });
    return {
      stop: async () => {
        this.consumers.delete(consumer);
        await consumer.disconnect();
        if (options.isEphemeral === true) await this.deleteGroup(options.groupId);
      },
    };
  }

  /**
   * Runs the handler until it succeeds; false when the consumer stopped or lost the partition.
   * A failure waits with exponential backoff; a RetryLaterError waits its own delay, unlogged.
   */
  private async handleWithRetry(
    options: SubscribeOptions,
    records: ConsumedRecord[],
    heartbeat: () => Promise<void>,
    canContinue: () => boolean,
  ): Promise<boolean> {
    let backoffMs = 250;
    for (;;) {
      let waitMs: number;
      try {
        await options.handleBatch(records);
        return true;
      } catch (err) {
        waitMs = this.retryWait(options, err, backoffMs);
        if (!(err instanceof RetryLaterError)) backoffMs = Math.min(backoffMs * 2, 10_000);
      }
      // Heartbeats keep the partition assigned while the batch waits, even for minutes.
      const until = Date.now() + waitMs;
      while (Date.now() < until) {
        if (!canContinue()) return false;
        await heartbeat();
        await new Promise((resolve) => setTimeout(resolve, Math.min(500, until - Date.now())));
      }
      if (!canContinue()) return false;
    }
  }

  /** Logs why the handler threw and returns the wait before the batch comes again, in ms. */
  private retryWait(options: SubscribeOptions, err: unknown, backoffMs: number): number {
    const fields = { topic: options.topic, group: options.groupId };
    if (err instanceof RetryLaterError) {
      this.logger.debug(
        { ...fields, event: 'bus.retry_later', retry_ms: err.delayMs },
        'records not due yet; the batch will be offered again',
      );
      return err.delayMs;
    }
    this.logger.warn(
      { ...fields, err, event: 'bus.handler_failed', retry_ms: backoffMs },
      'batch handler failed; the batch will be offered again',
    );
    return backoffMs;
  }

  private async deleteGroup(groupId: string): Promise<void> {
    try {
      await this.admin?.deleteGroups([groupId]);
    } catch (err) {
      this.logger.debug(
        { err, event: 'kafka.group_delete_failed', group: groupId },
        'could not delete group',
      );
    }
  }

  async lag(groupId: string, topic: string): Promise<number | undefined> {
    if (this.admin === undefined) return undefined;
    const [committed, latest] = await Promise.all([
      this.admin.fetchOffsets({ groupId, topics: [topic] }),
      this.admin.fetchTopicOffsets(topic),
    ]);
    const committedByPartition = new Map(
      (committed[0]?.partitions ?? []).map((p) => [
        p.partition,
        BigInt(p.offset === '-1' ? '0' : p.offset),
      ]),
    );
    let total = 0n;
    for (const partition of latest) {
      const end = BigInt(partition.high);
      const done = committedByPartition.get(partition.partition) ?? BigInt(partition.low);
      if (end > done) total += end - done;
    }
    return Number(total);
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.disconnect()));
    this.consumers.clear();
    await this.producer?.disconnect();
    await this.admin?.disconnect();
  }
}

function toConsumed(topic: string, partition: number, message: KafkaMessage): ConsumedRecord {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined) headers[key] = Array.isArray(value) ? String(value[0]) : String(value);
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString('utf8') ?? '',
    value: message.value ?? Buffer.alloc(0),
    headers,
  };
}
