import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import {
  createLogger,
  decodeRecord,
  defaultPolicy,
  encodeRecord,
  getHeader,
  initTracing,
  MemoryBus,
  memorySpans,
  Topics,
} from '@mailshield/common';
import {
  Disposition,
  MessageRecord,
  RecordKind,
  Stage,
  type StageOutcome,
} from '@mailshield/proto/message';
import { SpamAction, type Policy } from '@mailshield/proto/policy';
import { Registry } from 'prom-client';
import type { BackupStore } from '@mailshield/common';
import { ANTISPAM_GROUP, startConsumer } from './consumer.js';
import { GTUBE } from './engine/checks/gtube.js';
import { ScoringEngine } from './engine/engine.js';
import { createAntispamMetrics } from './metrics.js';
import { getTracer } from '@mailshield/common';
import { buildRaw, RECEIVED_AT } from './test/fixtures.js';

initTracing('antispam-test', { keepInMemory: true });

const PARENT_TRACE = '0af7651916cd43dd8448eb211c80319c';

function record(
  id: string,
  raw: Buffer,
  disposition = Disposition.DISPOSITION_DELIVER,
): MessageRecord {
  return MessageRecord.fromPartial({
    id,
    kind: RecordKind.RECORD_KIND_MESSAGE,
    envelope: {
      mailFrom: 'alice@example.org',
      rcptTo: ['bob@example.com'],
      receivedAt: RECEIVED_AT,
    },
    raw,
    disposition,
    traceContext: { traceparent: `00-${PARENT_TRACE}-b7ad6b7169203331-01` },
  });
}

class FakeBackup implements BackupStore {
  readonly stored: { record: MessageRecord; outcome: StageOutcome }[] = [];
  shouldFail = false;
  async store(stored: MessageRecord, outcome: StageOutcome): Promise<boolean> {
    if (this.shouldFail) throw new Error('control plane unreachable');
    this.stored.push({ record: stored, outcome });
    return true;
  }
  close(): void {}
}

async function setup(policyChanges: Partial<NonNullable<Policy['antispam']>> = {}) {
  const bus = new MemoryBus();
  const backup = new FakeBackup();
  const registry = new Registry();
  // A fixed lag, so the gauge can be checked against a known value.
  const metrics = createAntispamMetrics(registry, async () => 7);
  const logger = createLogger('antispam-test', 'silent');
  const base = defaultPolicy();
  const policy: Policy = {
    ...base,
    version: 12,
    antispam: { ...base.antispam!, ...policyChanges },
  };
  const stage = {
    engine: new ScoringEngine(),
    metrics,
    logger,
    tracer: getTracer('test'),
    instance: 'antispam-test-1',
    scanTimeoutSeconds: 5,
  };
  await startConsumer({
    bus,
    stage,
    backup,
    currentPolicy: () => policy,
    concurrency: 2,
    logger,
    metrics,
  });
  return { bus, backup, registry };
}

describe('antispam consumer', () => {
  it('subscribes the antispam group to the scanned topic', async () => {
    const { bus } = await setup();
    assert.equal(bus.subscriptions[0]?.topic, Topics.scanned);
    assert.equal(bus.subscriptions[0]?.groupId, ANTISPAM_GROUP);
  });

  it('publishes one verdict batch with an outcome per message', async () => {
    const { bus } = await setup();
    const inputs = [
      record('m1', buildRaw()),
      record('m2', buildRaw({ body: `${GTUBE}\r\n` })),
      record('m3', buildRaw()),
    ];
    await bus.deliver(Topics.scanned, inputs.map(encodeRecord));
    assert.equal(bus.publishes.length, 1);
    assert.equal(bus.publishes[0]!.topic, Topics.verdicts);
    const outputs = bus.publishes[0]!.records.map((busRecord) =>
      decodeRecord({ ...busRecord, topic: '', partition: 0, offset: '0' }),
    );
    assert.deepEqual(
      outputs.map((output) => output.id),
      ['m1', 'm2', 'm3'],
    );
    const spam = outputs[1]!.outcomes[0]!;
    assert.equal(spam.stage, Stage.STAGE_ANTISPAM);
    assert.equal(spam.scanner, 'rules');
    assert.equal(spam.status, 'spam');
    assert.equal(spam.action, 'tag');
    assert.equal(spam.policyVersion, 12);
    assert.equal(spam.instance, 'antispam-test-1');
    assert.equal(spam.traceId, PARENT_TRACE);
    assert.equal(getHeader(outputs[1]!.raw, 'Subject'), '[SPAM] Minutes of the Tuesday meeting');
    assert.equal(outputs[0]!.outcomes[0]!.status, 'clean');
  });

  it('passes on records that are no longer to be delivered unchanged', async () => {
    const { bus } = await setup();
    const rejected = {
      ...record('m4', buildRaw({ body: `${GTUBE}\r\n` }), Disposition.DISPOSITION_REJECT),
      reply: '550 5.7.1 virus',
    };
    await bus.deliver(Topics.scanned, [encodeRecord(rejected)]);
    const output = MessageRecord.decode(bus.publishes[0]!.records[0]!.value);
    assert.deepEqual(output, rejected);
  });

  it('stores the original in Backup before a hold', async () => {
    const { bus, backup } = await setup({ onSpam: SpamAction.SPAM_ACTION_HOLD });
    const input = record('m5', buildRaw({ body: `${GTUBE}\r\n` }));
    await bus.deliver(Topics.scanned, [encodeRecord(input)]);
    assert.equal(backup.stored.length, 1);
    assert.ok(backup.stored[0]!.record.raw.equals(input.raw));
    assert.equal(backup.stored[0]!.outcome.action, 'hold');
    const output = MessageRecord.decode(bus.publishes[0]!.records[0]!.value);
    assert.equal(output.disposition, Disposition.DISPOSITION_HOLD);
  });

  it('sets the reject reply and backs up before a reject', async () => {
    const { bus, backup } = await setup({ onSpam: SpamAction.SPAM_ACTION_REJECT });
    await bus.deliver(Topics.scanned, [
      encodeRecord(record('m6', buildRaw({ body: `${GTUBE}\r\n` }))),
    ]);
    const output = MessageRecord.decode(bus.publishes[0]!.records[0]!.value);
    assert.equal(output.disposition, Disposition.DISPOSITION_REJECT);
    assert.equal(output.reply, '550 5.7.1 Message rejected as spam');
    assert.equal(backup.stored.length, 1);
  });

  it('fails the batch when Backup.Store fails', async () => {
    const { bus, backup, registry } = await setup({ onSpam: SpamAction.SPAM_ACTION_DELETE });
    backup.shouldFail = true;
    const delivery = bus.deliver(Topics.scanned, [
      encodeRecord(record('m7', buildRaw({ body: `${GTUBE}\r\n` }))),
    ]);
    await assert.rejects(
      delivery,
      (err: Error & { code?: string }) => err.code === 'AS_BACKUP_FAILED',
    );
    assert.equal(bus.publishes.length, 0);
    assert.match(
      await registry.metrics(),
      /mailshield_antispam_errors_total\{reason="AS_BACKUP_FAILED"\} 1/,
    );
  });

  it('fails the batch when the publish fails', async () => {
    const { bus } = await setup();
    bus.publishError = new Error('broker down');
    await assert.rejects(
      bus.deliver(Topics.scanned, [encodeRecord(record('m8', buildRaw()))]),
      /broker down/,
    );
  });

  it('skips a record that is not a MessageRecord', async () => {
    const { bus, registry } = await setup();
    await bus.deliver(Topics.scanned, [
      { key: 'bad', value: Buffer.from([0xff, 0xff, 0xff]), headers: {} },
      encodeRecord(record('m9', buildRaw())),
    ]);
    assert.equal(bus.publishes[0]!.records.length, 1);
    assert.match(
      await registry.metrics(),
      /mailshield_antispam_errors_total\{reason="AS_RECORD_INVALID"\} 1/,
    );
  });

  it('writes a child span context back into the record', async () => {
    const { bus } = await setup();
    memorySpans.reset();
    await bus.deliver(Topics.scanned, [encodeRecord(record('m10', buildRaw()))]);
    const output = MessageRecord.decode(bus.publishes[0]!.records[0]!.value);
    const span = memorySpans
      .getFinishedSpans()
      .find((finished) => finished.name === 'antispam.score');
    assert.ok(span !== undefined);
    assert.equal(span.spanContext().traceId, PARENT_TRACE);
    assert.equal(span.parentSpanContext?.spanId, 'b7ad6b7169203331');
    assert.match(
      output.traceContext['traceparent'] ?? '',
      new RegExp(`^00-${PARENT_TRACE}-${span.spanContext().spanId}-01$`),
    );
    assert.equal(trace.getSpan(context.active()), undefined);
  });

  it('counts messages, check hits and lag in metrics', async () => {
    const { bus, registry } = await setup();
    await bus.deliver(Topics.scanned, [
      encodeRecord(record('m11', buildRaw({ body: `${GTUBE}\r\n` }))),
    ]);
    const text = await registry.metrics();
    assert.match(text, /mailshield_antispam_messages_total\{status="spam",action="tag"\} 1/);
    assert.match(text, /mailshield_antispam_check_hits_total\{check="gtube"\} 1/);
    assert.match(text, /mailshield_antispam_consumer_lag 7/);
    assert.match(text, /mailshield_antispam_score_duration_seconds_count 1/);
  });
});
