import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { createLogger } from '@mailshield/common';
import { StageOutcome } from '@mailshield/proto/message';
import { DeliveryLedger, type LedgerEntry } from './delivery-ledger.js';

const logger = createLogger('test', 'silent');

async function openLedger(t: TestContext, path?: string): Promise<DeliveryLedger> {
  let file = path;
  if (file === undefined) {
    const dir = await mkdtemp(join(tmpdir(), 'mailshield-ledger-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    file = join(dir, 'ledger.jsonl');
  }
  const ledger = new DeliveryLedger(file, logger);
  await ledger.open();
  t.after(() => ledger.close());
  return ledger;
}

function entry(change: Partial<LedgerEntry>): LedgerEntry {
  return {
    key: 'm-1',
    messageId: 'm-1',
    kind: 'RECORD_KIND_MESSAGE',
    attempt: 0,
    finished: [],
    handled: [],
    isClosed: false,
    outcome: StageOutcome.fromPartial({ status: 'delivered' }),
    ...change,
  };
}

const both = ['one@example.com', 'two@example.com'];

test('ledger lists every recipient of a new delivery', async (t) => {
  const ledger = await openLedger(t);
  assert.deepEqual(ledger.pendingRecipients('m-1', 0, [...both, 'one@example.com']), both);
});

test('ledger drops finished recipients from every attempt', async (t) => {
  const ledger = await openLedger(t);
  await ledger.append(entry({ finished: ['one@example.com'] }));
  assert.deepEqual(ledger.pendingRecipients('m-1', 0, both), ['two@example.com']);
  assert.deepEqual(ledger.pendingRecipients('m-1', 3, both), ['two@example.com']);
  assert.deepEqual(ledger.pendingRecipients('m-2', 0, both), both);
});

test('ledger drops recipients the same attempt handled', async (t) => {
  const ledger = await openLedger(t);
  await ledger.append(entry({ finished: ['one@example.com'], handled: both }));
  assert.deepEqual(ledger.pendingRecipients('m-1', 0, both), []);
  // The deferred recipient belongs to the next attempt, which still has it pending.
  assert.deepEqual(ledger.pendingRecipients('m-1', 1, ['two@example.com']), ['two@example.com']);
});

test('ledger closes a key for a record not delivered', async (t) => {
  const ledger = await openLedger(t);
  await ledger.append(entry({ isClosed: true }));
  assert.equal(ledger.isClosed('m-1'), true);
  assert.deepEqual(ledger.pendingRecipients('m-1', 0, both), []);
});

test('ledger state survives a restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mailshield-ledger-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'ledger.jsonl');
  const first = new DeliveryLedger(path, logger);
  await first.open();
  await first.append(entry({ finished: ['one@example.com'] }));
  await first.append(entry({ key: 'm-2', messageId: 'm-2', handled: both, finished: both }));
  await first.append(entry({ key: 'm-3', messageId: 'm-3', isClosed: true }));
  await first.close();
  await appendFile(path, '{"key":"m-4","message_i');

  const second = await openLedger(t, path);
  assert.deepEqual(second.pendingRecipients('m-1', 0, both), ['two@example.com']);
  assert.deepEqual(second.pendingRecipients('m-2', 0, both), []);
  assert.equal(second.isClosed('m-3'), true);
  assert.deepEqual(second.pendingRecipients('m-4', 0, both), both);
});

test('ledger line without an attempt closes its key', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mailshield-ledger-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'ledger.jsonl');
  const outcome = StageOutcome.toJSON(StageOutcome.fromPartial({ status: 'delivered' }));
  const line = { key: 'm-old', message_id: 'm-old', kind: 'RECORD_KIND_MESSAGE', outcome };
  await appendFile(path, `${JSON.stringify(line)}\n`);
  const ledger = await openLedger(t, path);
  assert.equal(ledger.isClosed('m-old'), true);
  assert.deepEqual(ledger.pendingRecipients('m-old', 0, both), []);
});
