import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { encodeRecord, MemoryBus, Topics } from '@mailshield/common';
import {
  Disposition,
  QueueMode,
  RecordKind,
  Stage,
  type MessageRecord,
} from '@mailshield/proto/message';
import { startTestInterceptor, waitFor, type TestInterceptor } from '../support/harness.js';
import { SmtpSink } from '../support/smtp-sink.js';

const RAW = Buffer.from(
  'Received: from x ([192.0.2.1])\r\nSubject: binary \u00e9\u0000\r\n\r\nline\r\n.leading dot\r\n\r\nlast line without anything\r\n',
  'latin1',
);

function verdict(id: string, change: Partial<MessageRecord> = {}): MessageRecord {
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
    ...change,
  };
}

async function publish(bus: MemoryBus, ...records: MessageRecord[]): Promise<void> {
  await bus.publish(Topics.verdicts, records.map(encodeRecord));
}

function caughtUp(interceptor: TestInterceptor): () => boolean {
  const bus = interceptor.bus;
  return () =>
    bus.committedOffset('mailshield-delivery', Topics.verdicts) ===
    bus.records(Topics.verdicts).length;
}

async function ledgerLines(
  stateDir: string,
): Promise<{ key: string; outcome: { status: string } }[]> {
  const text = await readFile(join(stateDir, 'interceptor', 'delivery-ledger.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { key: string; outcome: { status: string } });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

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

  test('next hop down then up is delivered after retry', async () => {
    const port = await freePort();
    const interceptor = await startTestInterceptor({
      options: { nextHop: { host: '127.0.0.1', port } },
    });
    cleanups.push(() => interceptor.cleanup());
    await publish(interceptor.bus, verdict('m-retry'));
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(interceptor.bus.committedOffset('mailshield-delivery', Topics.verdicts), 0);
    const sink = new SmtpSink();
    await sink.start({ port });
    cleanups.push(() => sink.stop());
    await waitFor(() => sink.messages.length === 1, 'delivery after the next hop came up', 20_000);
    await waitFor(caughtUp(interceptor), 'the offset commit');
  });

  test('permanent rejection is recorded as bounced', async () => {
    const sink = new SmtpSink();
    await sink.start({
      rejectRecipients: new Map([
        ['one@example.com', { code: 550, text: 'no such user' }],
        ['two@example.com', { code: 550, text: 'no such user' }],
      ]),
    });
    cleanups.push(() => sink.stop());
    const interceptor = await startTestInterceptor({
      options: { nextHop: { host: '127.0.0.1', port: sink.port } },
    });
    cleanups.push(() => interceptor.cleanup());
    await publish(interceptor.bus, verdict('m-bounce'));
    await waitFor(caughtUp(interceptor), 'the offset commit');
    const lines = await ledgerLines(interceptor.options.stateDir);
    assert.deepEqual(
      lines.map((line) => line.outcome.status),
      ['bounced'],
    );
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
