import { MessageRecord, StageOutcome } from '@mailshield/proto/message';
import { isSealed, openBody, sealBody, type BackupKey } from './body-codec.js';

/**
 * Seals the whole record, raw message included, as one body, because the envelope and the
 * outcomes are mail data as much as the message is.
 */
export function sealRecord(key: BackupKey, record: MessageRecord): Buffer {
  return sealBody(key, MessageRecord.encode(record).finish());
}

export function sealOutcome(key: BackupKey, outcome: StageOutcome): Buffer {
  return sealBody(key, StageOutcome.encode(outcome).finish());
}

/**
 * Reads a stored record. A body without the sealed header was written before sealing. It is
 * the record without `raw`, and `legacyRaw` reads the message from where that layout kept it.
 */
export async function openRecord(
  key: BackupKey,
  id: string,
  stored: Uint8Array,
  legacyRaw: () => Promise<Uint8Array>,
): Promise<MessageRecord> {
  if (isSealed(stored))
    return MessageRecord.decode(openBody(key, stored, `backup ${JSON.stringify(id)} record`));
  return { ...MessageRecord.decode(stored), raw: Buffer.from(await legacyRaw()) };
}

/** Reads a stored outcome, sealed or from before sealing. */
export function openOutcome(key: BackupKey, id: string, stored: Uint8Array): StageOutcome {
  if (!isSealed(stored)) return StageOutcome.decode(stored);
  return StageOutcome.decode(openBody(key, stored, `backup ${JSON.stringify(id)} outcome`));
}
