import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { encodeRecord, Topics, type MemoryBus } from '@mailshield/common';
import { Disposition, QueueMode, RecordKind, type MessageRecord } from '@mailshield/proto/message';
import { DELIVERY_GROUP, DELIVERY_RETRY_GROUP } from '../../index.js';
import type { TestInterceptor } from './harness.js';

/** Raw message with the bytes a relay could damage: 8-bit, NUL, a leading dot, no final CRLF. */
export const RAW = Buffer.from(
  'Received: from x ([192.0.2.1])\r\nSubject: binary \u00e9\u0000\r\n\r\nline\r\n.leading dot\r\n\r\nlast line without anything\r\n',
  'latin1',
);

/** Returns an after-queue verdict record for one@ and two@example.com. */
export function verdict(id: string, change: Partial<MessageRecord> = {}): MessageRecord {
  return {
    id,
    kind: RecordKind.RECORD_KIND_MESSAGE,
    envelope: {
      clientAddress: '192.0.2.1',
      clientHostname: '',
      helo: 'x',
      mailFrom: 'sender@example.org',
      rcptTo: ['one@example.com', 'two@example.com'],
      receivedAt: new Date(),
      tls: false,
      outbound: false,
    },
    raw: RAW,
    outcomes: [],
    traceContext: {},
    queueMode: QueueMode.QUEUE_MODE_AFTER_QUEUE,
    disposition: Disposition.DISPOSITION_DELIVER,
    sessionInstance: 'interceptor-test',
    reply: '',
    deliverTo: [],
    deliveryAttempts: 0,
    deliverAfter: undefined,
    deliveryKey: '',
    ...change,
  };
}

export async function publish(bus: MemoryBus, ...records: MessageRecord[]): Promise<void> {
  await bus.publish(Topics.verdicts, records.map(encodeRecord));
}

/** True once the delivery consumer has committed every verdict record. */
export function caughtUp(interceptor: TestInterceptor): () => boolean {
  const bus = interceptor.bus;
  return () =>
    bus.committedOffset(DELIVERY_GROUP, Topics.verdicts) === bus.records(Topics.verdicts).length;
}

/** True once the retry consumer has committed every delivery-retry record. */
export function retriesCaughtUp(interceptor: TestInterceptor): () => boolean {
  const bus = interceptor.bus;
  return () =>
    bus.committedOffset(DELIVERY_RETRY_GROUP, Topics.deliveryRetry) ===
    bus.records(Topics.deliveryRetry).length;
}

export interface LedgerLine {
  key: string;
  attempt?: number;
  finished?: string[];
  handled?: string[];
  outcome: { status: string; reason?: string };
}

export async function ledgerLines(stateDir: string): Promise<LedgerLine[]> {
  const text = await readFile(join(stateDir, 'interceptor', 'delivery-ledger.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as LedgerLine);
}

/** Returns a loopback port that nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}
