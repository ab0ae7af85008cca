import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Disposition,
  MessageRecord,
  QueueMode,
  RecordKind,
  Stage,
} from '@mailshield/proto/message';
import { planRetry } from './delivery-plan.js';
import {
  buildBackupCopy,
  buildRetryRecord,
  isDeliveryExpired,
  retryWaitMs,
} from './delivery-retry.js';

const NOW = Date.parse('2024-05-10T12:00:00Z');
const DAY_MS = 86_400_000;
const schedule = { delayMs: 300_000, maxAgeMs: 5 * DAY_MS };

function record(change: Partial<MessageRecord> = {}): MessageRecord {
  return MessageRecord.fromPartial({
    id: 'm-1',
    kind: RecordKind.RECORD_KIND_MESSAGE,
    envelope: {
      mailFrom: 'sender@example.org',
      rcptTo: ['one@example.com', 'two@example.com'],
      receivedAt: new Date(NOW - 60_000),
    },
    raw: Buffer.from('Subject: x\r\n\r\nbody\r\n'),
    queueMode: QueueMode.QUEUE_MODE_AFTER_QUEUE,
    disposition: Disposition.DISPOSITION_DELIVER,
    ...change,
  });
}

test('retry wait is zero for a due record', () => {
  assert.equal(retryWaitMs(record({ deliverAfter: new Date(NOW - 1) }), NOW, schedule), 0);
  assert.equal(retryWaitMs(record({ deliverAfter: new Date(NOW) }), NOW, schedule), 0);
  assert.equal(retryWaitMs(record(), NOW, schedule), 0);
});

test('retry wait counts down to deliver_after', () => {
  assert.equal(retryWaitMs(record({ deliverAfter: new Date(NOW + 1234) }), NOW, schedule), 1234);
  const oneDelay = new Date(NOW + schedule.delayMs);
  assert.equal(retryWaitMs(record({ deliverAfter: oneDelay }), NOW, schedule), schedule.delayMs);
});

test('retry wait treats a due time past one delay as due', () => {
  const farAhead = new Date(NOW + schedule.delayMs + 1);
  assert.equal(retryWaitMs(record({ deliverAfter: farAhead }), NOW, schedule), 0);
});

test('delivery expires at the maximum age from reception', () => {
  const young = record({
    envelope: { ...record().envelope!, receivedAt: new Date(NOW - 5 * DAY_MS + 1) },
  });
  const old = record({
    envelope: { ...record().envelope!, receivedAt: new Date(NOW - 5 * DAY_MS) },
  });
  assert.equal(isDeliveryExpired(young, NOW, schedule), false);
  assert.equal(isDeliveryExpired(old, NOW, schedule), true);
});

test('released delivery expires from its release time', () => {
  const released = record({
    kind: RecordKind.RECORD_KIND_RELEASE,
    envelope: { ...record().envelope!, receivedAt: new Date(NOW - 30 * DAY_MS) },
    outcomes: [
      {
        stage: Stage.STAGE_CONTROL_PLANE,
        scanner: 'backup',
        status: 'released',
        action: 'release',
        reason: '',
        durationSeconds: 0,
        policyVersion: 0,
        findings: [],
        score: 0,
        at: new Date(NOW - DAY_MS),
        traceId: '',
        instance: 'cp',
      },
    ],
  });
  assert.equal(isDeliveryExpired(released, NOW, schedule), false);
});

test('delivery without a start time expires by attempts', () => {
  const maxAttempts = schedule.maxAgeMs / schedule.delayMs;
  const early = record({ envelope: undefined, deliveryAttempts: maxAttempts - 2 });
  const last = record({ envelope: undefined, deliveryAttempts: maxAttempts - 1 });
  assert.equal(isDeliveryExpired(early, NOW, schedule), false);
  assert.equal(isDeliveryExpired(last, NOW, schedule), true);
});

test('retry record narrows recipients and counts the attempt', () => {
  const original = record({ deliveryAttempts: 2 });
  const retry = buildRetryRecord(original, 'm-1', ['two@example.com'], NOW, schedule);
  assert.deepEqual(retry.deliverTo, ['two@example.com']);
  assert.equal(retry.deliveryAttempts, 3);
  assert.equal(retry.deliverAfter?.getTime(), NOW + schedule.delayMs);
  assert.equal(retry.deliveryKey, 'm-1');
  assert.deepEqual(retry.envelope, original.envelope);
  assert.ok(retry.raw.equals(original.raw));
  const decoded = MessageRecord.decode(MessageRecord.encode(retry).finish());
  assert.equal(decoded.deliveryAttempts, 3);
  assert.equal(decoded.deliverAfter?.getTime(), NOW + schedule.delayMs);
});

test('backup copy clears the retry fields', () => {
  const retry = buildRetryRecord(record(), 'm-1/release/x', ['two@example.com'], NOW, schedule);
  const copy = buildBackupCopy(retry, ['two@example.com']);
  assert.deepEqual(copy.deliverTo, ['two@example.com']);
  assert.equal(copy.deliveryAttempts, 0);
  assert.equal(copy.deliverAfter, undefined);
  assert.equal(copy.deliveryKey, '');
});

test('retry plan uses the delivery key of the record', () => {
  const retry = buildRetryRecord(record(), 'm-1/release/x', ['two@example.com'], NOW, schedule);
  assert.deepEqual(planRetry(retry), {
    action: 'deliver',
    key: 'm-1/release/x',
    recipients: ['two@example.com'],
    fileName: 'm-1_release_x.eml',
  });
  assert.equal(planRetry(record({ deliverTo: ['a@example.com'] })).action, 'deliver');
  assert.equal(planRetry(record()).action, 'ignore');
});
