import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RetryLaterError } from '../errors.js';
import { MemoryBus } from './memory-bus.js';
import type { ConsumedRecord } from './types.js';

function record(key: string) {
  return { key, value: Buffer.from(key), headers: {} };
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('memory bus', () => {
  test('commits a batch after its handler resolves', async () => {
    const bus = new MemoryBus();
    const seen: string[] = [];
    await bus.subscribe({
      topic: 't',
      groupId: 'g',
      handleBatch: async (records) => {
        seen.push(...records.map((consumed) => consumed.key));
      },
    });
    await bus.publish('t', [record('a'), record('b')]);
    await waitFor(() => bus.committedOffset('g', 't') === 2, 'the commit');
    assert.deepEqual(seen, ['a', 'b']);
    assert.equal(await bus.lag('g', 't'), 0);
    await bus.close();
  });

  test('offers a failed batch again', async () => {
    const bus = new MemoryBus({ retryDelayMs: 1 });
    const batches: ConsumedRecord[][] = [];
    await bus.subscribe({
      topic: 't',
      groupId: 'g',
      handleBatch: async (records) => {
        batches.push(records);
        if (batches.length < 3) throw new Error('handler failure for the test');
      },
    });
    await bus.publish('t', [record('a')]);
    await waitFor(() => bus.committedOffset('g', 't') === 1, 'the commit');
    assert.equal(batches.length, 3);
    assert.deepEqual(
      batches.map((batch) => batch[0]!.offset),
      ['0', '0', '0'],
    );
    await bus.close();
  });

  test('waits the delay of a RetryLaterError', async () => {
    const bus = new MemoryBus({ retryDelayMs: 1 });
    const offers: { at: number; offsets: string[] }[] = [];
    await bus.subscribe({
      topic: 't',
      groupId: 'g',
      handleBatch: async (records) => {
        offers.push({ at: Date.now(), offsets: records.map((consumed) => consumed.offset) });
        if (offers.length === 1) throw new RetryLaterError(300);
      },
    });
    await bus.publish('t', [record('a'), record('b')]);
    await waitFor(() => bus.committedOffset('g', 't') === 2, 'the commit');
    assert.equal(offers.length, 2);
    assert.deepEqual(offers[1]!.offsets, ['0', '1']);
    const waitedMs = offers[1]!.at - offers[0]!.at;
    assert.ok(waitedMs >= 290, `offered again after ${waitedMs} ms`);
    await bus.close();
  });

  test('stop ends the wait of a RetryLaterError', async () => {
    const bus = new MemoryBus();
    let offers = 0;
    const subscription = await bus.subscribe({
      topic: 't',
      groupId: 'g',
      handleBatch: async () => {
        offers += 1;
        throw new RetryLaterError(60_000);
      },
    });
    await bus.publish('t', [record('a')]);
    await waitFor(() => offers === 1, 'the first offer');
    const started = Date.now();
    await subscription.stop();
    assert.ok(Date.now() - started < 1000, 'stop waited for the delay');
    assert.equal(offers, 1);
    assert.equal(bus.committedOffset('g', 't'), 0);
  });

  test('counts lag of a group that has not read', async () => {
    const bus = new MemoryBus();
    await bus.publish('t', [record('a'), record('b'), record('c')]);
    assert.equal(await bus.lag('g', 't'), 3);
    assert.equal(bus.records('t').length, 3);
    assert.equal(bus.publishes.length, 1);
  });

  test('starts a fromLatest group at the end', async () => {
    const bus = new MemoryBus();
    await bus.publish('t', [record('old')]);
    const seen: string[] = [];
    await bus.subscribe({
      topic: 't',
      groupId: 'g',
      fromLatest: true,
      handleBatch: async (records) => {
        seen.push(...records.map((consumed) => consumed.key));
      },
    });
    await bus.publish('t', [record('new')]);
    await waitFor(() => bus.committedOffset('g', 't') === 2, 'the commit');
    assert.deepEqual(seen, ['new']);
    await bus.close();
  });

  test('rejects publish while publishError is set', async () => {
    const bus = new MemoryBus();
    bus.publishError = new Error('broker down');
    await assert.rejects(bus.publish('t', [record('a')]), /broker down/);
    assert.equal(bus.records('t').length, 0);
    bus.publishError = undefined;
    await bus.publish('t', [record('a')]);
    assert.equal(bus.records('t').length, 1);
  });

  test('deliver rejects with the handler error', async () => {
    const bus = new MemoryBus();
    const subscription = await bus.subscribe({
      topic: 't',
      groupId: 'g',
      handleBatch: async () => {
        throw new Error('handler failure for the test');
      },
    });
    assert.equal(bus.subscriptions.length, 1);
    await assert.rejects(bus.deliver('t', [record('a')]), /handler failure/);
    assert.equal(bus.committedOffset('g', 't'), 0);
    await subscription.stop();
    assert.equal(bus.subscriptions.length, 0);
  });
});
