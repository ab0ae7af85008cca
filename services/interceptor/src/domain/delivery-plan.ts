import {
  Disposition,
  QueueMode,
  RecordKind,
  Stage,
  type MessageRecord,
} from '@mailshield/proto/message';

/** Action of a delivery consumer for one record. */
export type DeliveryPlan =
  | { action: 'ignore'; reason: string }
  | { action: 'deliver'; key: string; recipients: string[]; fileName: string }
  | { action: 'record'; key: string; status: 'dropped' | 'held'; reason: string }
  | { action: 'retry'; reason: string };

/** Topic position of a record, used in the key of a release that carries no release time. */
export interface RecordPosition {
  topic: string;
  partition: number;
  offset: string;
}

/** Why a self-test canary is ignored: its offset commits and nothing is sent or stored. */
const CANARY_REASON = 'self-test canary: never delivered';

/**
 * Decides what to do with a record of the verdict topic. After-queue MESSAGE records and
 * SESSION_ACCEPTED records are acted on by disposition. Before-queue MESSAGE records are left
 * to their SMTP session. RELEASE records are delivered whatever the disposition was. Canaries
 * are ignored whatever their kind and disposition.
 */
export function planDelivery(record: MessageRecord, position: RecordPosition): DeliveryPlan {
  if (record.canary === true) return { action: 'ignore', reason: CANARY_REASON };
  switch (record.kind) {
    case RecordKind.RECORD_KIND_MESSAGE:
      if (record.queueMode === QueueMode.QUEUE_MODE_BEFORE_QUEUE) {
        return { action: 'ignore', reason: 'before-queue message: its session decides' };
      }
      return planByDisposition(record);
    case RecordKind.RECORD_KIND_SESSION_ACCEPTED:
      return planByDisposition(record);
    case RecordKind.RECORD_KIND_RELEASE:
      return planRelease(record, position);
    default:
      return { action: 'ignore', reason: `record kind ${record.kind} is not for delivery` };
  }
}

/**
 * Decides what to do with a record of the delivery-retry topic: deliver to its `deliver_to`,
 * the recipients still pending, under the ledger key of the delivery it continues.
 */
export function planRetry(
  record: MessageRecord,
): Extract<DeliveryPlan, { action: 'ignore' | 'deliver' }> {
  if (record.canary === true) return { action: 'ignore', reason: CANARY_REASON };
  if (record.deliverTo.length === 0) {
    return { action: 'ignore', reason: 'delivery-retry record without recipients' };
  }
  const key = record.deliveryKey === '' ? record.id : record.deliveryKey;
  return {
    action: 'deliver',
    key,
    recipients: record.deliverTo,
    fileName: `${safeName(key)}.eml`,
  };
}

function planByDisposition(record: MessageRecord): DeliveryPlan {
  const key = record.id;
  switch (record.disposition) {
    case Disposition.DISPOSITION_DELIVER:
      return {
        action: 'deliver',
        key,
        recipients: recipientsOf(record),
        fileName: `${safeName(record.id)}.eml`,
      };
    case Disposition.DISPOSITION_REJECT:
      // NOTE: no bounce (DSN) goes back to the sender of a rejected after-queue message yet.
      // The stage that rejected it stored the backup copy, which is the only trace left.
      return { action: 'record', key, status: 'dropped', reason: 'REJECTED' };
    case Disposition.DISPOSITION_DELETE:
      return { action: 'record', key, status: 'dropped', reason: 'DELETED_BACKUP_KEPT' };
    case Disposition.DISPOSITION_HOLD:
      return { action: 'record', key, status: 'held', reason: 'HELD_IN_BACKUP' };
    default:
      // Stages retry temporary failures themselves, so TEMPFAIL (or an unknown disposition)
      // here is a fault upstream; the record is kept uncommitted rather than dropped.
      return { action: 'retry', reason: `disposition ${record.disposition} cannot be delivered` };
  }
}

function planRelease(record: MessageRecord, position: RecordPosition): DeliveryPlan {
  const releasedAt = lastControlPlaneTime(record);
  const stamp = releasedAt ?? `${position.topic}:${position.partition}:${position.offset}`;
  return {
    action: 'deliver',
    key: `${record.id}/release/${stamp}`,
    recipients: recipientsOf(record),
    fileName: `${safeName(record.id)}.release-${safeName(stamp)}.eml`,
  };
}

/** Returns the release time, the `at` of the last control-plane outcome, as ISO text. */
function lastControlPlaneTime(record: MessageRecord): string | undefined {
  return releaseTime(record)?.toISOString();
}

/** Returns the `at` of the record's last control-plane outcome: the time of its release. */
export function releaseTime(record: MessageRecord): Date | undefined {
  const outcomes = record.outcomes.filter((outcome) => outcome.stage === Stage.STAGE_CONTROL_PLANE);
  return outcomes[outcomes.length - 1]?.at;
}

function recipientsOf(record: MessageRecord): string[] {
  return record.deliverTo.length > 0 ? record.deliverTo : (record.envelope?.rcptTo ?? []);
}

/** Keeps a value usable as a file name on any file system. */
function safeName(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 200);
}
