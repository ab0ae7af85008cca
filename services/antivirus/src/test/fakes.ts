import { defaultPolicy, StaticPolicySource, type PolicySource } from '@mailshield/common';
import {
  Disposition,
  QueueMode,
  RecordKind,
  type MessageRecord,
  type StageOutcome,
} from '@mailshield/proto/message';
import {
  Direction,
  VirusAction,
  type AntivirusPolicy,
  type AttachmentRule,
  type Policy,
  type VirusActions,
} from '@mailshield/proto/policy';
import type { BackupStore, HostPort } from '@mailshield/common';
import { ClamdPool } from '../engine/clamd-pool.js';

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

/**
 * Returns a fixed policy with the given antivirus actions for both directions, no attachment
 * rules, and the other antivirus settings changed by `antivirus`.
 */
export function fixedPolicy(
  actions: Partial<VirusActions> = {},
  timeoutSeconds = 10,
  antivirus: Partial<AntivirusPolicy> = {},
): PolicySource {
  const base = defaultPolicy();
  const policy: Policy = {
    ...base,
    version: 7,
    antivirus: {
      ...base.antivirus!,
      inbound: { ...base.antivirus!.inbound!, ...actions },
      outbound: { ...base.antivirus!.outbound!, ...actions },
      scanTimeoutSeconds: timeoutSeconds,
      attachmentRules: [],
      ...antivirus,
    },
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

/** Returns an attachment rule for both directions that deletes the object, changed by `overrides`. */
export function attachmentRule(overrides: Partial<AttachmentRule>): AttachmentRule {
  return {
    name: 'rule',
    fileTypes: [],
    namePatterns: [],
    minBytes: 0,
    action: VirusAction.VIRUS_ACTION_DELETE_OBJECT,
    direction: Direction.DIRECTION_UNSPECIFIED,
    ...overrides,
  };
}

/** Creates a pool on one clamd without background refreshes. The caller closes it. */
export function singleClamdPool(address: HostPort): ClamdPool {
  return new ClamdPool({ endpoints: [{ address, sharesStore: false }], refreshIntervalSeconds: 0 });
}
