import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Disposition, MessageRecord, QueueMode, RecordKind } from '@mailshield/proto/message';
import { planDelivery, planRetry } from './delivery-plan.js';

const position = { topic: 'mailshield.verdicts', partition: 0, offset: '7' };

function record(overrides: Partial<MessageRecord>): MessageRecord {
  return MessageRecord.fromPartial({
    id: 'm-1',
    kind: RecordKind.RECORD_KIND_MESSAGE,
    queueMode: QueueMode.QUEUE_MODE_AFTER_QUEUE,
    disposition: Disposition.DISPOSITION_DELIVER,
    envelope: { rcptTo: ['user@example.com'] },
    deliverTo: ['user@example.com'],
    ...overrides,
  });
}

test('planDelivery delivers a clean after-queue message', () => {
  assert.equal(planDelivery(record({}), position).action, 'deliver');
});

test('planDelivery ignores every canary', () => {
  const kinds = [
    RecordKind.RECORD_KIND_MESSAGE,
    RecordKind.RECORD_KIND_SESSION_ACCEPTED,
    RecordKind.RECORD_KIND_RELEASE,
  ];
  const dispositions = [
    Disposition.DISPOSITION_DELIVER,
    Disposition.DISPOSITION_REJECT,
    Disposition.DISPOSITION_HOLD,
    Disposition.DISPOSITION_TEMPFAIL,
  ];
  for (const kind of kinds) {
    for (const disposition of dispositions) {
      const plan = planDelivery(record({ kind, disposition, canary: true }), position);
      assert.equal(plan.action, 'ignore', `kind ${kind}, disposition ${disposition}`);
    }
  }
});

test('planRetry ignores a canary', () => {
  assert.equal(planRetry(record({ canary: true })).action, 'ignore');
  assert.equal(planRetry(record({})).action, 'deliver');
});
