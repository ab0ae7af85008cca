import { RecordKind, type MessageRecord } from '@mailshield/proto/message';
import { releaseTime } from './delivery-plan.js';

/** Timing of later delivery attempts. */
export interface RetrySchedule {
  /** Fixed wait between two attempts, in ms. */
  delayMs: number;
  /** Age at which recipients still deferred are given up, in ms. */
  maxAgeMs: number;
}

/**
 * Returns how long a delivery-retry record must still wait, in ms; 0 when it is due. A due
 * time more than one delay away can only come from a clock ahead of this one or from a longer
 * delay setting, so it counts as due instead of holding back every record behind it.
 */
export function retryWaitMs(record: MessageRecord, nowMs: number, schedule: RetrySchedule): number {
  if (record.deliverAfter === undefined) return 0;
  const waitMs = record.deliverAfter.getTime() - nowMs;
  return waitMs > 0 && waitMs <= schedule.delayMs ? waitMs : 0;
}

/**
 * True when recipients of `record` that are still deferred must be given up: the delivery
 * started (the message was received, or released from Backup) at least `maxAgeMs` ago. A
 * record without either time expires after as many attempts as fit in the maximum age.
 */
export function isDeliveryExpired(
  record: MessageRecord,
  nowMs: number,
  schedule: RetrySchedule,
): boolean {
  const started = deliveryStart(record);
  if (started !== undefined) return nowMs - started.getTime() >= schedule.maxAgeMs;
  return (record.deliveryAttempts + 1) * schedule.delayMs >= schedule.maxAgeMs;
}

/** Returns the time the delivery started: the release time of a release, else reception. */
export function deliveryStart(record: MessageRecord): Date | undefined {
  if (record.kind === RecordKind.RECORD_KIND_RELEASE) {
    return releaseTime(record) ?? record.envelope?.receivedAt;
  }
  return record.envelope?.receivedAt;
}

/**
 * Builds the delivery-retry record for the recipients still pending: a copy of `record` due
 * one delay from now, with one more attempt, that continues the delivery `key`.
 */
export function buildRetryRecord(
  record: MessageRecord,
  key: string,
  recipients: string[],
  nowMs: number,
  schedule: RetrySchedule,
): MessageRecord {
  return {
    ...record,
    deliverTo: recipients,
    deliveryAttempts: record.deliveryAttempts + 1,
    deliverAfter: new Date(nowMs + schedule.delayMs),
    deliveryKey: key,
  };
}

/**
 * Builds the copy of a record that goes to Backup when delivery gives up on `recipients`. The
 * retry fields are cleared, so a release from Backup starts a new delivery.
 */
export function buildBackupCopy(record: MessageRecord, recipients: string[]): MessageRecord {
  return {
    ...record,
    deliverTo: recipients,
    deliveryAttempts: 0,
    deliverAfter: undefined,
    deliveryKey: '',
  };
}
