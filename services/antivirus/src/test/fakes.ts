import { defaultPolicy, StaticPolicySource, type PolicySource } from '@mailshield/common';
import {
  Disposition,
  QueueMode,
  RecordKind,
  type MessageRecord,
  type StageOutcome,
} from '@mailshield/proto/message';
import { VirusAction, type Policy } from '@mailshield/proto/policy';
import type { BackupStore } from '@mailshield/common';

/** Backup stand-in that keeps stored records and fails on request (`shouldFail`). */
export class FakeBackupStore implements BackupStore {
  readonly stored: { record: MessageRecord; outcome: StageOutcome }[] = [];
  shouldFail = false;

  async store(record: MessageRecord, outcome: StageOutcome): Promise<boolean> {
    if (this.shouldFail) throw new Error('backup store is down');
    this.stored.push({ record, outcome });
    return true;
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
  return new StaticPolicySource(policy);
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
    deliveryAttempts: 0,
    deliverAfter: undefined,
    deliveryKey: '',
  };
}
