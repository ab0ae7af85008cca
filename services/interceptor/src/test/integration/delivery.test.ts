import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { MemoryBus, Topics } from '@mailshield/common';
import { Disposition, QueueMode, RecordKind, Stage } from '@mailshield/proto/message';
import { RecordingBackupStore } from '../support/backup.js';
import {
  caughtUp,
  freePort,
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

describe('delivery to the next hop', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startWithSink(
    stateDir?: string,
    bus?: MemoryBus,
  ): Promise<{ interceptor: TestInterceptor; sink: SmtpSink }> {
    const sink = new SmtpSink();
    await sink.start();
    cleanups.push(() => sink.stop());
    const interceptor = await startTestInterceptor({
      options: { nextHop: { host: '127.0.0.1', port: sink.port } },
      ...(stateDir === undefined ? {} : { stateDir }),
      ...(bus === undefined ? {} : { bus }),
    });
    cleanups.push(() => interceptor.cleanup());
    return { interceptor, sink };
  }

  test('relays the raw message byte for byte', async () => {
    const { interceptor, sink } = await startWithSink();
    await publish(interceptor.bus, verdict('m-1'));
    await waitFor(() => sink.messages.length === 1, 'the sink to receive the message');
    const message = sink.messages[0]!;
    assert.equal(message.mailFrom, 'sender@example.org');
    assert.deepEqual(message.rcptTo, ['one@example.com', 'two@example.com']);
    assert.ok(message.raw.equals(RAW), message.raw.toString('latin1'));
    await waitFor(caughtUp(interceptor), 'the offset commit');
    const lines = await ledgerLines(interceptor.options.stateDir);
    assert.deepEqual(
      lines.map((line) => [line.key, line.outcome.status]),
      [['m-1', 'delivered']],
    );
  });

  test('acts on the disposition and ignores before-queue messages', async () => {
    const { interceptor, sink } = await startWithSink();
    await publish(
      interceptor.bus,
      verdict('m-reject', { disposition: Disposition.DISPOSITION_REJECT }),
      verdict('m-hold', { disposition: Disposition.DISPOSITION_HOLD }),
      verdict('m-delete', { disposition: Disposition.DISPOSITION_DELETE }),
      verdict('m-bq', { queueMode: QueueMode.QUEUE_MODE_BEFORE_QUEUE }),
      verdict('m-accepted', {
        queueMode: QueueMode.QUEUE_MODE_BEFORE_QUEUE,
        kind: RecordKind.RECORD_KIND_SESSION_ACCEPTED,
      }),
    );
    await waitFor(caughtUp(interceptor), 'the offset commit');
    assert.equal(sink.messages.length, 1);
    const lines = await ledgerLines(interceptor.options.stateDir);
    assert.deepEqual(
      lines.map((line) => [line.key, line.outcome.status]),
      [
        ['m-reject', 'dropped'],
        ['m-hold', 'held'],
        ['m-delete', 'dropped'],
        ['m-accepted', 'delivered'],
      ],
    );
  });

  test('release after a drop still delivers', async () => {
    const { interceptor, sink } = await startWithSink();
    await publish(
      interceptor.bus,
      verdict('m-held', { disposition: Disposition.DISPOSITION_HOLD }),
    );
    const releasedAt = new Date('2024-05-01T10:00:00Z');
    const release = verdict('m-held', {
      kind: RecordKind.RECORD_KIND_RELEASE,
      disposition: Disposition.DISPOSITION_HOLD,
      deliverTo: ['admin@example.com'],
      outcomes: [
        {
          stage: Stage.STAGE_CONTROL_PLANE,
          scanner: 'backup',
          status: 'released',
          action: 'deliver',
          reason: '',
          durationSeconds: 0,
          policyVersion: 0,
          findings: [],
          score: 0,
          at: releasedAt,
          traceId: '',
          instance: 'cp',
        },
      ],
    });
    await publish(interceptor.bus, release, release);
    await waitFor(caughtUp(interceptor), 'the offset commit');
    assert.equal(sink.messages.length, 1);
    assert.deepEqual(sink.messages[0]!.rcptTo, ['admin@example.com']);
  });

  test('redelivered record is not delivered twice across a restart', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'mailshield-ledger-'));
    cleanups.push(() => rm(stateDir, { recursive: true, force: true }));
    const first = await startWithSink(stateDir);
    await publish(first.interceptor.bus, verdict('m-once'), verdict('m-once'));
    await waitFor(caughtUp(first.interceptor), 'the offset commit');
    assert.equal(first.sink.messages.length, 1);
    await first.interceptor.stop();

    const bus = new MemoryBus();
    await publish(bus, verdict('m-once'));
    const second = await startWithSink(stateDir, bus);
    await waitFor(caughtUp(second.interceptor), 'the second offset commit');
    assert.equal(second.sink.messages.length, 0);
  });

  test('next hop down hands the message to the retry topic', async () => {
    const port = await freePort();
    const interceptor = await startTestInterceptor({
      options: { nextHop: { host: '127.0.0.1', port }, nextHopRetrySeconds: 0.5 },
    });
    cleanups.push(() => interceptor.cleanup());
    await publish(interceptor.bus, verdict('m-retry'));
    await waitFor(caughtUp(interceptor), 'the verdict offset commit');
    const [retry] = topicRecords(interceptor.bus, Topics.deliveryRetry);
    assert.deepEqual(retry?.deliverTo, ['one@example.com', 'two@example.com']);
    assert.equal(retry?.deliveryAttempts, 1);
    const sink = new SmtpSink();
    await sink.start({ port });
    cleanups.push(() => sink.stop());
    await waitFor(() => sink.messages.length === 1, 'delivery after the next hop came up', 20_000);
    await waitFor(retriesCaughtUp(interceptor), 'the retry offset commit');
    assert.deepEqual(sink.messages[0]!.rcptTo, ['one@example.com', 'two@example.com']);
  });

  test('permanent rejection is stored in Backup as bounced', async () => {
    const sink = new SmtpSink();
    await sink.start({
      rejectRecipients: new Map([
        ['one@example.com', { code: 550, text: 'no such user' }],
        ['two@example.com', { code: 550, text: 'no such user' }],
      ]),
    });
    cleanups.push(() => sink.stop());
    const backup = new RecordingBackupStore();
    const interceptor = await startTestInterceptor({
      options: { nextHop: { host: '127.0.0.1', port: sink.port } },
      backup,
    });
    cleanups.push(() => interceptor.cleanup());
    await publish(interceptor.bus, verdict('m-bounce'));
    await waitFor(caughtUp(interceptor), 'the offset commit');
    const lines = await ledgerLines(interceptor.options.stateDir);
    assert.deepEqual(
      lines.map((line) => line.outcome.status),
      ['bounced'],
    );
    assert.equal(backup.stored.get('m-bounce')?.outcome.status, 'bounced');
    assert.equal(topicRecords(interceptor.bus, Topics.deliveryRetry).length, 0);
  });
});

describe('delivery without a next hop', () => {
  let interceptor: TestInterceptor | undefined;
  afterEach(() => interceptor?.cleanup());

  test('writes an .eml file', async () => {
    interceptor = await startTestInterceptor();
    await publish(interceptor.bus, verdict('m-file'));
    await waitFor(caughtUp(interceptor), 'the offset commit');
    assert.deepEqual(await readdir(interceptor.options.deliveryDir), ['m-file.eml']);
    const raw = await readFile(join(interceptor.options.deliveryDir, 'm-file.eml'));
    assert.ok(raw.equals(RAW));
  });
});
