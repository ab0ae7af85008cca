import { Disposition, MessageRecord, type StageOutcome } from '@mailshield/proto/message';
import type { BusRecord, ConsumedRecord } from './bus/types.js';

/** Severity order of dispositions: a later stage may only make a message's fate stricter. */
const severity: Record<Disposition, number> = {
  [Disposition.DISPOSITION_UNSPECIFIED]: 0,
  [Disposition.DISPOSITION_DELIVER]: 1,
  [Disposition.DISPOSITION_HOLD]: 2,
  [Disposition.DISPOSITION_DELETE]: 3,
  [Disposition.DISPOSITION_REJECT]: 4,
  [Disposition.DISPOSITION_TEMPFAIL]: 5,
  [Disposition.UNRECOGNIZED]: 5,
};

export function stricterDisposition(a: Disposition, b: Disposition): Disposition {
  return severity[b] > severity[a] ? b : a;
}

export function encodeRecord(record: MessageRecord): BusRecord {
  return {
    key: record.id,
    value: Buffer.from(MessageRecord.encode(record).finish()),
    headers: { ...record.traceContext },
  };
}

export function decodeRecord(consumed: ConsumedRecord): MessageRecord {
  return MessageRecord.decode(consumed.value);
}

/** Returns a copy of the record with one more outcome. */
export function withOutcome(record: MessageRecord, outcome: StageOutcome): MessageRecord {
  return { ...record, outcomes: [...record.outcomes, outcome] };
}
