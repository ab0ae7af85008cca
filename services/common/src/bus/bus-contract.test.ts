import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, open, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { Writable } from 'node:stream';
import { Kafka, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { RetryLaterError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createBus, type BusOptions } from './create-bus.js';
import type { ConsumedRecord, MessageBus } from './types.js';

const logger = createLogger('test', 'silent');
const kafkaBrokers = process.env['MAILSHIELD_KAFKA_BROKERS'];

function record(i: number) {
  return { key: `k${i}`, value: Buffer.from(`value-${i}`), headers: { traceparent: `tp-${i}` } };
}

/** Collects records until one with each of `keys` arrived; fails the first `failFirst` batches. */
function collect(bus: MessageBus, topic: string, groupId: string, keys: string[], failFirst = 0) {
  const seen: ConsumedRecord[] = [];
  let failures = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const subscription = bus.subscribe({
    topic,
    groupId,
    handleBatch: async (records) => {
      if (failures < failFirst) {
        failures += 1;
        throw new Error('handler failure for the test');
      }
      seen.push(...records);
      if (keys.every((key) => seen.some((r) => r.key === key))) done();
    },
  });
  return { seen, finished, subscription };
}

/** Returns a logger that keeps every line it writes, parsed, so a test can check what was logged. */
function capturingLogger(): {
  logger: ReturnType<typeof createLogger>;
  lines: { event?: string }[];
} {
  const lines: { event?: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line !== '') lines.push(JSON.parse(line) as { event?: string });
      }
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function contract(
  name: string,
  makeOptions: () => Promise<BusOptions>,
  makeTopic: () => Promise<string>,
) {
  describe(`${name} bus`, () => {
    let topic = '';

    before(async () => {
      topic = await makeTopic();
    });

    test('delivers published records with key, value and headers', async (t) => {
      const bus = await createBus(await makeOptions(), logger);
      t.after(() => bus.close());
      const group = `g-${randomUUID()}`;
      const reader = collect(bus, topic, group, ['k1', 'k2', 'k3']);
      await reader.subscription;
      await bus.publish(topic, [record(1), record(2), record(3)]);
      await withTimeout(reader.finished, 20_000, 'records');
      const mine = reader.seen.filter((r) => ['k1', 'k2', 'k3'].includes(r.key));
      assert.ok(mine.length >= 3);
      const first = mine.find((r) => r.key === 'k1')!;
      assert.equal(first.value.toString(), 'value-1');
      assert.equal(first.headers['traceparent'], 'tp-1');
    });

    test('offers a failed batch again', async (t) => {
      const bus = await createBus(await makeOptions(), logger);
      t.after(() => bus.close());
      const group = `g-${randomUUID()}`;
      const key = `retry-${randomUUID()}`;
      const reader = collect(bus, topic, group, [key], 2);
      await reader.subscription;
      await bus.publish(topic, [{ key, value: Buffer.from('x'), headers: {} }]);
      await withTimeout(reader.finished, 30_000, 'the retried record');
      assert.ok(reader.seen.some((r) => r.key === key));
    });

    test('offers the same records again after RetryLaterError', async (t) => {
      const { logger: capturing, lines } = capturingLogger();
      const bus = await createBus(await makeOptions(), capturing);
      t.after(() => bus.close());
      const key = `later-${randomUUID()}`;
      const offers: { at: number; offsets: string[] }[] = [];
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      await bus.subscribe({
        topic,
        groupId: `g-${randomUUID()}`,
        handleBatch: async (records) => {
          const mine = records.filter((consumed) => consumed.key === key);
          if (mine.length === 0) return;
          offers.push({ at: Date.now(), offsets: mine.map((consumed) => consumed.offset) });
          if (offers.length === 1) throw new RetryLaterError(1500);
          done();
        },
      });
      await bus.publish(topic, [{ key, value: Buffer.from('x'), headers: {} }]);
      await withTimeout(finished, 30_000, 'the record offered again');
      assert.equal(offers.length, 2);
      assert.deepEqual(offers[1]!.offsets, offers[0]!.offsets);
      const waitedMs = offers[1]!.at - offers[0]!.at;
      assert.ok(waitedMs >= 1400, `offered again after ${waitedMs} ms`);
      assert.ok(
        !lines.some((line) => line.event === 'bus.handler_failed'),
        'a RetryLaterError was logged as a handler failure',
      );
    });

    test('close ends the wait of a RetryLaterError', async () => {
      const bus = await createBus(await makeOptions(), logger);
      const key = `wait-${randomUUID()}`;
      let offers = 0;
      let offered!: () => void;
      const firstOffer = new Promise<void>((resolve) => (offered = resolve));
      await bus.subscribe({
        topic,
        groupId: `g-${randomUUID()}`,
        handleBatch: async (records) => {
          if (!records.some((consumed) => consumed.key === key)) return;
          offers += 1;
          offered();
          throw new RetryLaterError(120_000);
        },
      });
      await bus.publish(topic, [{ key, value: Buffer.from('x'), headers: {} }]);
      await withTimeout(firstOffer, 30_000, 'the first offer');
      const started = Date.now();
      await withTimeout(bus.close(), 10_000, 'the bus to close');
      assert.ok(Date.now() - started < 5000, `close took ${Date.now() - started} ms`);
      assert.equal(offers, 1);
    });

    test('resumes a group after its committed offset', async () => {
      const options = await makeOptions();
      const group = `g-${randomUUID()}`;
      const bus1 = await createBus(options, logger);
      const first = collect(bus1, topic, group, ['k10']);
      await first.subscription;
      await bus1.publish(topic, [record(10)]);
      await withTimeout(first.finished, 20_000, 'the first record');
      await (await first.subscription).stop();
      await bus1.publish(topic, [record(11)]);
      await bus1.close();

      const bus2 = await createBus(options, logger);
      const second = collect(bus2, topic, group, ['k11']);
      await withTimeout(second.finished, 30_000, 'the second record');
      assert.ok(second.seen.some((r) => r.key === 'k11'));
      assert.ok(!second.seen.some((r) => r.key === 'k10'), 'a committed record came again');
      await bus2.close();
    });
  });
}

contract(
  'journal',
  async () => ({
    kind: 'journal',
    dir: await mkdtemp(join(tmpdir(), 'journal-')),
    segmentBytes: 1024,
  }),
  async () => 'test.topic',
);

if (kafkaBrokers !== undefined) {
  contract(
    'kafka',
    async () => ({
      kind: 'kafka',
      brokers: kafkaBrokers.split(','),
      clientId: 'bus-test',
      partitions: 1,
      maxRecordBytes: 32 * 1024 * 1024,
    }),
    // A topic of its own per run, so records left by earlier runs cannot reach these tests.
    async () => {
      const topic = `mailshield.test.${randomUUID()}`;
      const admin = new Kafka({
        clientId: 'bus-test-admin',
        brokers: kafkaBrokers.split(','),
        logLevel: logLevel.NOTHING,
      }).admin();
      await admin.connect();
      try {
        await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1 }] });
      } finally {
        await admin.disconnect();
      }
      return topic;
    },
  );
} else if (process.env['CI'] === 'true') {
  test('kafka bus needs MAILSHIELD_KAFKA_BROKERS in CI', () => {
    assert.fail('MAILSHIELD_KAFKA_BROKERS is not set; .ci/run must start Kafka');
  });
}

describe('journal bus recovery', () => {
  test('cuts a torn frame after a crash and keeps earlier records', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'journal-'));
    const options: BusOptions = { kind: 'journal', dir, segmentBytes: 1 << 20 };
    const bus1 = await createBus(options, logger);
    await bus1.publish('t', [record(1), record(2)]);
    await bus1.close();
    const segment = join(
      dir,
      't',
      (await readdir(join(dir, 't'))).find((n) => n.endsWith('.log'))!,
    );
    const handle = await open(segment, 'a');
    await handle.write(Buffer.from([0, 0, 1, 0, 1, 2, 3]));
    await handle.close();

    const bus2 = await createBus(options, logger);
    await bus2.publish('t', [record(3)]);
    const reader = collect(bus2, 't', 'g', ['k1', 'k2', 'k3']);
    await withTimeout(reader.finished, 10_000, 'records after recovery');
    assert.deepEqual(
      reader.seen.map((r) => r.key),
      ['k1', 'k2', 'k3'],
    );
    await bus2.close();
  });

  test('deletes segments every group has read', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'journal-'));
    const bus = await createBus({ kind: 'journal', dir, segmentBytes: 64 }, logger);
    for (let i = 0; i < 10; i += 1) await bus.publish('t', [record(i)]);
    const reader = collect(bus, 't', 'g', ['k9']);
    await withTimeout(reader.finished, 10_000, 'ten records');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const segments = (await readdir(join(dir, 't'))).filter((n) => n.endsWith('.log'));
    assert.ok(segments.length < 10, `expected old segments deleted, found ${segments.length}`);
    assert.ok((await stat(join(dir, 't', 'groups', 'g.offset'))).isFile());
    await bus.close();
  });

  test('rejects a second process on the same journal', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'journal-'));
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'LOCK'), String(process.ppid));
    await assert.rejects(
      createBus({ kind: 'journal', dir, segmentBytes: 1024 }, logger),
      /in use by process/,
    );
  });
});
