import type {
  BusRecord,
  ConsumedRecord,
  MessageBus,
  SubscribeOptions,
  Subscription,
} from '@mailshield/common';
import { defaultPolicy, encodeRecord } from '@mailshield/common';
import {
  Disposition,
  QueueMode,
  RecordKind,
  type MessageRecord,
  type StageOutcome,
} from '@mailshield/proto/message';
import { VirusAction, type Policy } from '@mailshield/proto/policy';
import type { BackupStore } from '../backup.js';
import type { PolicySource } from '../stage.js';

/** In-memory stand-in for the message bus: records publishes, hands batches to the handler. */
export class FakeMessageBus implements MessageBus {
  readonly kind = 'journal' as const;
  readonly publishes: { topic: string; records: BusRecord[] }[] = [];
  private handler: SubscribeOptions['handleBatch'] | undefined;
  subscribedGroup: string | undefined;

  async publish(topic: string, records: BusRecord[]): Promise<void> {
    this.publishes.push({ topic, records });
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    this.handler = options.handleBatch;
    this.subscribedGroup = options.groupId;
    return { stop: async () => undefined };
  }

  /** Hands records to the subscriber as one batch, the way a real bus delivers them. */
  async deliver(topic: string, records: MessageRecord[]): Promise<void> {
    if (this.handler === undefined) throw new Error('no subscriber');
    const consumed: ConsumedRecord[] = records.map((record, index) => ({
      ...encodeRecord(record),
      topic,
      partition: 0,
      offset: String(index),
    }));
    await this.handler(consumed);
  }

  isSubscribed(): boolean {
    return this.handler !== undefined;
  }

  async lag(): Promise<number | undefined> {
    return 0;
  }

  async close(): Promise<void> {}
}

/** Backup stand-in that keeps stored records and fails on request (`shouldFail`). */
export class FakeBackupStore implements BackupStore {
  readonly stored: { record: MessageRecord; outcome: StageOutcome }[] = [];
  shouldFail = false;

  async store(record: MessageRecord, outcome: StageOutcome): Promise<void> {
    if (this.shouldFail) throw new Error('backup store is down');
    this.stored.push({ record, outcome });
  }

  close(): void {}
}

/** Returns a fixed policy with the given antivirus actions. */
export function fixedPolicy(
  actions: Partial<
    Record<'onInfected' | 'onProtected' | 'onCorrupted' | 'onUnscanned', VirusAction>
  > = {},
  timeoutSeconds = 10,
): PolicySource {
  const base = defaultPolicy();
  const policy: Policy = {
    ...base,
    version: 7,
    antivirus: { ...base.antivirus!, ...actions, scanTimeoutSeconds: timeoutSeconds },
  };
  return { current: () => policy };
}

export function messageRecord(
  raw: Buffer,
  queueMode = QueueMode.QUEUE_MODE_AFTER_QUEUE,
  id = `m-${Math.random().toString(36).slice(2)}`,
): MessageRecord {
  return {
    id,
    kind: RecordKind.RECORD_KIND_MESSAGE,
    envelope: undefined,
    raw,
    outcomes: [],
    traceContext: {},
    queueMode,
    disposition: Disposition.DISPOSITION_DELIVER,
    sessionInstance: 'interceptor-test',
    reply: '',
    deliverTo: [],
  };
}
