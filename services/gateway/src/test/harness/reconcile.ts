import assert from 'node:assert/strict';
import { getHeader } from '@mailshield/common';
import { bodyOf } from './corpus.js';
import type { Pipeline } from './pipeline.js';
import { waitFor } from './pipeline.js';
import type { SentMessage } from './traffic.js';

export interface Reconciliation {
  delivered: Map<string, Buffer[]>;
  backedUp: Map<string, { status: string; action: string }>;
}

/** Test id of a delivered message, from its X-Test-Id header. */
function testIdOf(raw: Buffer): string {
  return getHeader(raw, 'X-Test-Id') ?? '';
}

/**
 * Waits until every accepted message is either delivered or backed up, then returns where
 * each one went. Fails if some are still missing after the timeout.
 */
export async function settle(
  pipeline: Pipeline,
  sent: SentMessage[],
  timeoutMs: number,
): Promise<Reconciliation> {
  const accepted = sent.filter((message) => message.reply.code === 250);
  let result: Reconciliation = { delivered: new Map(), backedUp: new Map() };
  const isSettled = async () => {
    result = await snapshot(pipeline);
    return accepted.every((m) => result.delivered.has(m.testId) || result.backedUp.has(m.queueId!));
  };
  const done = await waitFor(isSettled, timeoutMs, 1000);
  if (!done) {
    const missing = accepted.filter(
      (m) => !result.delivered.has(m.testId) && !result.backedUp.has(m.queueId!),
    );
    assert.fail(
      `${missing.length} accepted messages were neither delivered nor backed up: ${missing
        .slice(0, 10)
        .map((m) => m.testId)
        .join(', ')}`,
    );
  }
  // A duplicate may arrive just after the last missing message; give it a moment to show.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  return snapshot(pipeline);
}

async function snapshot(pipeline: Pipeline): Promise<Reconciliation> {
  const delivered = new Map<string, Buffer[]>();
  for (const message of pipeline.sink.messages) {
    const id = testIdOf(message.raw);
    delivered.set(id, [...(delivered.get(id) ?? []), message.raw]);
  }
  const backedUp = new Map<string, { status: string; action: string }>();
  for (const entry of await pipeline.listBackups())
    backedUp.set(entry.id, { status: entry.status, action: entry.action });
  return { delivered, backedUp };
}

/**
 * Checks the outcome of every message against its expectation. `maxDuplicates` allows a few
 * second deliveries after a crash of the delivering process, in the window between the next
 * hop's 250 and the write of the delivery ledger.
 */
export function assertOutcomes(
  sent: SentMessage[],
  result: Reconciliation,
  maxDuplicates = 0,
): void {
  let duplicates = 0;
  for (const message of sent) {
    assert.equal(
      message.reply.code,
      250,
      `${message.testId} was not accepted: ${message.reply.code} ${message.reply.text}`,
    );
    const copies = result.delivered.get(message.testId) ?? [];
    duplicates += Math.max(0, copies.length - 1);
    assert.ok(
      duplicates <= maxDuplicates,
      `${message.testId} was delivered ${copies.length} times`,
    );
    if (message.expectation === 'infected') {
      assert.equal(copies.length, 0, `infected ${message.testId} was delivered`);
      const backup = result.backedUp.get(message.queueId!);
      assert.ok(backup !== undefined, `infected ${message.testId} is not in Backup`);
      assert.equal(backup.status, 'infected', `${message.testId} backed up as ${backup.status}`);
      continue;
    }
    if (message.expectation === 'corpus-spam') {
      assert.ok(
        copies.length === 1 || result.backedUp.has(message.queueId!),
        `${message.testId} is missing`,
      );
      continue;
    }
    assert.ok(copies.length >= 1, `${message.testId} was not delivered`);
    assert.ok(
      bodyOf(copies[0]!).equals(bodyOf(message.raw)),
      `the body of ${message.testId} changed`,
    );
    if (message.expectation === 'spam') {
      assert.equal(
        getHeader(copies[0]!, 'X-Spam-Flag'),
        'YES',
        `${message.testId} is not flagged as spam`,
      );
    }
  }
}
