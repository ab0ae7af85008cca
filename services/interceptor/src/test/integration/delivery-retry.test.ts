import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { encodeRecord, MemoryBus, Topics } from '@mailshield/common';
import type { InterceptorOptions } from '../../config.js';
import { DELIVERY_RETRY_GROUP } from '../../index.js';
import { RecordingBackupStore, startTestControlPlane } from '../support/backup.js';
import {
  caughtUp,
  ledgerLines,
  publish,
  RAW,
  retriesCaughtUp,
  verdict,
} from '../support/delivery.js';
import {
  startTestInterceptor,
  topicRecords,
  waitFor,
  type TestInterceptor,
} from '../support/harness.js';
import { SmtpSink } from '../support/smtp-sink.js';

const DEFER = { code: 451, text: '4.3.0 Try again later' };
const REJECT = { code: 550, text: '5.1.1 No such user' };
const DAY_MS = 86_400_000;

describe('delivery retry', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** Starts a sink whose RCPT replies the test can change, and an interceptor relaying to it. */
  async function start(
    replies: [string, { code: number; text: string }][],
    settings: {
      options?: Partial<InterceptorOptions>;
      backup?: RecordingBackupStore | 'control-plane';
      bus?: MemoryBus;
      stateDir?: string;
    } = {},
  ): Promise<{
    interceptor: TestInterceptor;
    sink: SmtpSink;
    rcptReplies: Map<string, { code: number; text: string }>;
  }> {
    const rcptReplies = new Map(replies);
    const sink = new SmtpSink();
    await sink.start({ rejectRecipients: rcptReplies });
    cleanups.push(() => sink.stop());
    const interceptor = await startTestInterceptor({
      ...settings,
      options: {
        nextHop: { host: '127.0.0.1', port: sink.port },
        nextHopRetrySeconds: 0.3,
        ...settings.options,
      },
    });
    cleanups.push(() => interceptor.cleanup());
    return { interceptor, sink, rcptReplies };
  }

  function delivered(sink: SmtpSink, recipient: string): number {
    return sink.messages.filter((message) => message.rcptTo.includes(recipient)).length;
  }

  test('deferred recipient does not block the next message', async () => {
    const { interceptor, sink } = await start([['temp@example.com', DEFER]], {
      options: { deliveryRetryDelaySeconds: 60 },
    });
    const started = Date.now();
    await publish(
      interceptor.bus,
      verdict('m-deferred', { deliverTo: ['temp@example.com'] }),
      verdict('m-next', { deliverTo: ['next@example.com'] }),
    );
    await waitFor(() => delivered(sink, 'next@example.com') === 1, 'the next message');
    assert.ok(Date.now() - started < 5000, `next message took ${Date.now() - started} ms`);
    await waitFor(caughtUp(interceptor), 'the verdict offset commit');
    assert.equal(delivered(sink, 'temp@example.com'), 0);
    const retries = topicRecords(interceptor.bus, Topics.deliveryRetry);
    assert.equal(retries.length, 1);
    assert.equal(retries[0]!.id, 'm-deferred');
    assert.deepEqual(retries[0]!.deliverTo, ['temp@example.com']);
    assert.equal(retries[0]!.deliveryKey, 'm-deferred');
    assert.equal(retries[0]!.deliveryAttempts, 1);
    const dueInMs = retries[0]!.deliverAfter!.getTime() - Date.now();
    assert.ok(dueInMs > 50_000, `due in ${dueInMs} ms`);
    assert.ok(dueInMs <= 60_000, `due in ${dueInMs} ms`);
    assert.equal(await interceptor.bus.lag(DELIVERY_RETRY_GROUP, Topics.deliveryRetry), 1);
    const metrics = await interceptor.service.registry.metrics();
    assert.match(metrics, /mailshield_interceptor_deliveries_total\{result="deferred"\} 1/);
    assert.match(metrics, /mailshield_interceptor_retry_queue_records 1/);
  });

  test('deferred recipient is delivered once the next hop accepts', async () => {
    const { interceptor, sink, rcptReplies } = await start([['temp@example.com', DEFER]]);
    await publish(interceptor.bus, verdict('m-later', { deliverTo: ['temp@example.com'] }));
    await waitFor(caughtUp(interceptor), 'the verdict offset commit');
    await waitFor(
      () => topicRecords(interceptor.bus, Topics.deliveryRetry).length >= 2,
      'a second deferral',
    );
    rcptReplies.delete('temp@example.com');
    await waitFor(() => delivered(sink, 'temp@example.com') === 1, 'the retried delivery');
    await waitFor(retriesCaughtUp(interceptor), 'the retry offset commit');
    assert.ok(sink.messages[0]!.raw.equals(RAW));
    const last = (await ledgerLines(interceptor.options.stateDir)).at(-1)!;
    assert.equal(last.outcome.status, 'delivered');
    assert.ok(last.attempt! >= 2, `delivered at attempt ${last.attempt}`);
  });

  test('short deferral is retried in process', async () => {
    const { interceptor, sink, rcptReplies } = await start([['temp@example.com', DEFER]], {
      options: { nextHopRetrySeconds: 5 },
    });
    await publish(interceptor.bus, verdict('m-blip', { deliverTo: ['temp@example.com'] }));
    setTimeout(() => rcptReplies.delete('temp@example.com'), 300);
    await waitFor(caughtUp(interceptor), 'the verdict offset commit');
    assert.equal(delivered(sink, 'temp@example.com'), 1);
    assert.equal(topicRecords(interceptor.bus, Topics.deliveryRetry).length, 0);
  });

  test('partly accepted message resends only the pending recipient', async () => {
    const { interceptor, sink, rcptReplies } = await start([['temp@example.com', DEFER]]);
    await publish(
      interceptor.bus,
      verdict('m-part', { deliverTo: ['one@example.com', 'temp@example.com'] }),
    );
    await waitFor(() => delivered(sink, 'one@example.com') === 1, 'the accepted recipient');
    rcptReplies.delete('temp@example.com');
    await waitFor(() => delivered(sink, 'temp@example.com') === 1, 'the deferred recipient');
    await waitFor(retriesCaughtUp(interceptor), 'the retry offset commit');
    assert.deepEqual(
      sink.messages.map((message) => message.rcptTo),
      [['one@example.com'], ['temp@example.com']],
    );
  });

  test('bounce is stored in the control plane Backup', async () => {
    const controlPlane = await startTestControlPlane();
    cleanups.push(() => controlPlane.stop());
    const { interceptor, sink } = await start([['gone@example.com', REJECT]], {
      backup: 'control-plane',
      options: { controlPlane: { host: '127.0.0.1', port: controlPlane.port } },
    });
    await publish(
      interceptor.bus,
      verdict('m-bounced', { deliverTo: ['one@example.com', 'gone@example.com'] }),
    );
    await waitFor(caughtUp(interceptor), 'the verdict offset commit');
    assert.equal(delivered(sink, 'one@example.com'), 1);
    const entry = await controlPlane.getBackup('m-bounced');
    assert.equal(entry.summary?.status, 'bounced');
    assert.equal(entry.summary?.action, 'hold');
    assert.equal(entry.outcome?.reason, 'INTERCEPTOR_NEXT_HOP_REJECTED');
    assert.equal(entry.outcome?.findings.length, 1);
    assert.match(
      entry.outcome!.findings[0]!.detail,
      /^gone@example\.com: 550 5\.1\.1 No such user/,
    );
    assert.deepEqual(entry.record?.deliverTo, ['gone@example.com']);
    assert.ok(Buffer.from(entry.record!.raw).equals(RAW));
    const statuses = (await ledgerLines(interceptor.options.stateDir)).map(
      (line) => line.outcome.status,
    );
    assert.deepEqual(statuses, ['delivered', 'bounced']);
    assert.equal(topicRecords(interceptor.bus, Topics.deliveryRetry).length, 0);
  });

  test('failed Backup keeps the record without resending', async () => {
    const backup = new RecordingBackupStore();
    backup.failure = 'control plane unavailable for the test';
    const { interceptor, sink } = await start([['gone@example.com', REJECT]], { backup });
    await publish(
      interceptor.bus,
      verdict('m-unstored', { deliverTo: ['one@example.com', 'gone@example.com'] }),
    );
    await waitFor(() => backup.calls.length >= 2, 'Backup.Store to be tried again');
    assert.equal(caughtUp(interceptor)(), false);
    backup.failure = undefined;
    await waitFor(caughtUp(interceptor), 'the verdict offset commit');
    assert.equal(backup.stored.get('m-unstored')?.outcome.status, 'bounced');
    assert.equal(delivered(sink, 'one@example.com'), 1);
  });

  test('expired message is stored in Backup', async () => {
    const backup = new RecordingBackupStore();
    const { interceptor, sink } = await start([['temp@example.com', DEFER]], { backup });
    const receivedAt = new Date(Date.now() - 6 * DAY_MS);
    const old = verdict('m-old', { deliverTo: ['temp@example.com'] });
    await publish(interceptor.bus, { ...old, envelope: { ...old.envelope!, receivedAt } });
    await waitFor(caughtUp(interceptor), 'the verdict offset commit');
    const stored = backup.stored.get('m-old');
    assert.equal(stored?.outcome.status, 'expired');
    assert.equal(stored?.outcome.reason, 'INTERCEPTOR_DELIVERY_EXPIRED');
    assert.match(stored!.outcome.findings[0]!.detail, /451 4\.3\.0 Try again later/);
    assert.equal(topicRecords(interceptor.bus, Topics.deliveryRetry).length, 0);
    assert.equal(sink.messages.length, 0);
    const metrics = await interceptor.service.registry.metrics();
    assert.match(metrics, /mailshield_interceptor_deliveries_total\{result="expired"\} 1/);
  });

  test('retried message expires at the maximum age', async () => {
    const backup = new RecordingBackupStore();
    const { interceptor } = await start([['temp@example.com', DEFER]], {
      backup,
      options: { deliveryMaxAgeSeconds: 2 },
    });
    await publish(interceptor.bus, verdict('m-aging', { deliverTo: ['temp@example.com'] }));
    await waitFor(() => backup.stored.has('m-aging'), 'the expired message in Backup', 15_000);
    await waitFor(retriesCaughtUp(interceptor), 'the retry offset commit');
    assert.equal(backup.stored.get('m-aging')?.outcome.status, 'expired');
    const attempts = topicRecords(interceptor.bus, Topics.deliveryRetry).map(
      (record) => record.deliveryAttempts,
    );
    assert.deepEqual(attempts, [1, 2]);
  });

  test('redelivered verdict is not delivered twice', async () => {
    const { interceptor, sink, rcptReplies } = await start([['temp@example.com', DEFER]]);
    const record = verdict('m-twice', { deliverTo: ['one@example.com', 'temp@example.com'] });
    await publish(interceptor.bus, record, record);
    await waitFor(caughtUp(interceptor), 'the verdict offset commit');
    assert.equal(topicRecords(interceptor.bus, Topics.deliveryRetry).length, 1);
    rcptReplies.delete('temp@example.com');
    await waitFor(() => delivered(sink, 'temp@example.com') === 1, 'the deferred recipient');
    await waitFor(retriesCaughtUp(interceptor), 'the retry offset commit');
    assert.equal(delivered(sink, 'one@example.com'), 1);
    assert.equal(sink.messages.length, 2);
  });

  test('duplicate retry record is not delivered twice', async () => {
    const { interceptor, sink, rcptReplies } = await start([['temp@example.com', DEFER]]);
    await publish(interceptor.bus, verdict('m-copy', { deliverTo: ['temp@example.com'] }));
    await waitFor(caughtUp(interceptor), 'the verdict offset commit');
    const [retry] = topicRecords(interceptor.bus, Topics.deliveryRetry);
    rcptReplies.delete('temp@example.com');
    // Copies such as a crash before the retry consumer's commit leaves behind.
    await interceptor.bus.publish(Topics.deliveryRetry, [
      encodeRecord(retry!),
      encodeRecord(retry!),
    ]);
    await waitFor(retriesCaughtUp(interceptor), 'the retry offset commit');
    assert.equal(topicRecords(interceptor.bus, Topics.deliveryRetry).length, 3);
    assert.equal(delivered(sink, 'temp@example.com'), 1);
  });

  test('retry publish failure does not resend accepted recipients', async () => {
    const { interceptor, sink, rcptReplies } = await start([['temp@example.com', DEFER]]);
    interceptor.bus.publishError = new Error('broker down for the test');
    await publishDespiteError(
      interceptor.bus,
      verdict('m-handoff', { deliverTo: ['one@example.com', 'temp@example.com'] }),
    );
    await waitFor(() => delivered(sink, 'one@example.com') === 1, 'the accepted recipient');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(caughtUp(interceptor)(), false);
    interceptor.bus.publishError = undefined;
    await waitFor(caughtUp(interceptor), 'the verdict offset commit');
    rcptReplies.delete('temp@example.com');
    await waitFor(() => delivered(sink, 'temp@example.com') === 1, 'the deferred recipient');
    assert.equal(delivered(sink, 'one@example.com'), 1);
  });

  test('ledger keeps retries apart across a restart', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'mailshield-retry-ledger-'));
    cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
    const record = verdict('m-restart', { deliverTo: ['one@example.com', 'temp@example.com'] });
    const first = await start([['temp@example.com', DEFER]], {
      stateDir,
      options: { deliveryRetryDelaySeconds: 60 },
    });
    await publish(first.interceptor.bus, record);
    await waitFor(caughtUp(first.interceptor), 'the verdict offset commit');
    const [retry] = topicRecords(first.interceptor.bus, Topics.deliveryRetry);
    await first.interceptor.stop();

    // The new bus offers the verdict again, as after a crash before its commit.
    const bus = new MemoryBus();
    await publish(bus, record);
    await bus.publish(Topics.deliveryRetry, [
      encodeRecord({ ...retry!, deliverAfter: new Date(Date.now() - 1) }),
    ]);
    const second = await start([], { stateDir, bus });
    await waitFor(retriesCaughtUp(second.interceptor), 'the retry offset commit');
    await waitFor(caughtUp(second.interceptor), 'the verdict offset commit');
    assert.deepEqual(
      second.sink.messages.map((message) => message.rcptTo),
      [['temp@example.com']],
    );
  });
});

/** Publishes on a bus whose `publishError` is set, as a stage before the broker went away. */
async function publishDespiteError(
  bus: MemoryBus,
  ...records: ReturnType<typeof verdict>[]
): Promise<void> {
  const error = bus.publishError;
  bus.publishError = undefined;
  try {
    await publish(bus, ...records);
  } finally {
    bus.publishError = error;
  }
}
