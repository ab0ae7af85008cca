import { encodeRecord, prependHeaders, Topics, type MessageBus } from '@mailshield/common';
import {
  Disposition,
  RecordKind,
  Stage,
  type MessageRecord,
  type StageOutcome,
} from '@mailshield/proto/message';
import type { ReleaseBackupRequest } from '@mailshield/proto/backup';
import { InvalidArgumentError } from '@mailshield/common';
import { ErrorCodes, releasePublishFailed } from '../errors.js';
import { isMailAddress } from '../policy/names.js';
import type { BackupStore, StoredBackup } from './backup-store.js';

/**
 * Builds the record that sends a backed-up message through delivery: the original bytes
 * behind an `X-Mailshield-Released` header, so the recipient can tell the message was held,
 * disposition DELIVER, and one more outcome saying who released it.
 */
export function buildReleaseRecord(
  backup: StoredBackup,
  recipients: string[],
  at: Date,
  instance: string,
): MessageRecord {
  const outcome: StageOutcome = {
    stage: Stage.STAGE_CONTROL_PLANE,
    scanner: 'backup',
    status: 'released',
    action: 'release',
    reason: '',
    durationSeconds: 0,
    policyVersion: 0,
    findings: [],
    score: 0,
    at,
    traceId: '',
    instance,
  };
  return {
    ...backup.record,
    raw: prependHeaders(backup.record.raw, [
      ['X-Mailshield-Released', `${at.toISOString()}; status=${backup.summary.status}`],
    ]),
    kind: RecordKind.RECORD_KIND_RELEASE,
    disposition: Disposition.DISPOSITION_DELIVER,
    reply: '',
    // A copy kept for the recipients a delivery gave up on names them; release goes to those.
    deliverTo: recipients.length > 0 ? recipients : backup.record.deliverTo,
    outcomes: [...backup.record.outcomes, outcome],
  };
}

/**
 * Publishes a backed-up message to the verdicts topic for delivery, then records the
 * release. A failed publish records nothing, so the caller can retry. Returns the release time.
 */
export async function releaseBackup(
  store: BackupStore,
  bus: MessageBus,
  request: ReleaseBackupRequest,
  instance: string,
): Promise<Date> {
  checkRecipients(request.recipients);
  const backup = await store.get(request.id);
  const at = new Date();
  const record = buildReleaseRecord(backup, request.recipients, at, instance);
  try {
    await bus.publish(Topics.verdicts, [encodeRecord(record)]);
  } catch (err) {
    throw releasePublishFailed(request.id, err);
  }
  await store.markReleased(
    request.id,
    at,
    request.actor === '' ? 'unknown' : request.actor,
    request.recipients,
  );
  return at;
}

function checkRecipients(recipients: string[]): void {
  const errors = recipients
    .map((address, index) =>
      isMailAddress(address)
        ? ''
        : `recipients[${index}]: ${JSON.stringify(address)} is not an address`,
    )
    .filter((error) => error !== '');
  if (errors.length > 0) {
    throw new InvalidArgumentError(
      ErrorCodes.releaseInvalid,
      `release request is invalid: ${errors.join('; ')}`,
      errors,
    );
  }
}
