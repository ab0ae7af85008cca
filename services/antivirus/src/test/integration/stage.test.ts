import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  createLogger,
  decodeRecord,
  encodeRecord,
  getHeader,
  headerEnd,
  initTracing,
  MemoryBus,
  RetryLaterError,
  Topics,
  UnavailableError,
  type PolicySource,
} from '@mailshield/common';
import { Disposition, QueueMode, Stage, MessageRecord } from '@mailshield/proto/message';
import { VirusAction } from '@mailshield/proto/policy';
import { Registry } from 'prom-client';
import { handleBatch, startConsumer, type ConsumerContext } from '../../consumer.js';
import { ClamdPool } from '../../engine/clamd-pool.js';
import type { Scanner } from '../../engine/scanner.js';
import { createAntivirusMetrics } from '../../metrics.js';
import { walkMessage } from '../../mime/walker.js';
import { attachmentRule, FakeBackupStore, fixedPolicy, messageRecord } from '../fakes.js';
import {
  clamdAddress,
  closedPort,
  crlf,
  EICAR,
  mailWithAttachment,
  startSilentServer,
} from '../helpers.js';

initTracing('antivirus-test');
const { address, skip } = clamdAddress();
const eicar = Buffer.from(EICAR, 'latin1');
const logger = createLogger('antivirus-test', 'silent');

const pools: ClamdPool[] = [];
after(() => Promise.all(pools.map((pool) => pool.close())));

function poolFor(endpoint: { host: string; port: number }): ClamdPool {
  const pool = new ClamdPool({
    endpoints: [{ address: endpoint, sharesStore: false }],
    refreshIntervalSeconds: 0,
  });
  pools.push(pool);
  return pool;
}

function contextWith(scanner: Scanner | undefined, policy: PolicySource) {
  const bus = new MemoryBus();
  const backup = new FakeBackupStore();
  const context: ConsumerContext = {
    scanner: scanner ?? poolFor(address!),
    store: undefined,
    policy,
    metrics: createAntivirusMetrics(new Registry()),
    instance: 'antivirus-test',
    bus,
    backup,
    logger,
    messageConcurrency: 4,
    pauseState: { isPaused: false },
  };
  return { bus, backup, context };
}

async function runOne(
  record: MessageRecord,
  context: ConsumerContext,
  bus: MemoryBus,
): Promise<MessageRecord> {
  await handleBatch(
    [
      {
        key: record.id,
        value: Buffer.from(MessageRecord.encode(record).finish()),
        headers: {},
        topic: Topics.inbound,
        partition: 0,
        offset: '0',
      },
    ],
    context,
  );
  assert.equal(bus.publishes.length, 1);
  assert.equal(bus.publishes[0]!.topic, Topics.scanned);
  return MessageRecord.decode(bus.publishes[0]!.records[0]!.value);
}

test('SKIP adds the header and keeps the body', { skip }, async () => {
  const { bus, context } = contextWith(
    undefined,
    fixedPolicy({ onInfected: VirusAction.VIRUS_ACTION_SKIP }),
  );
  const raw = mailWithAttachment('eicar.com', eicar);
  const out = await runOne(messageRecord(raw), context, bus);
  assert.equal(out.disposition, Disposition.DISPOSITION_DELIVER);
  assert.match(
    getHeader(Buffer.from(out.raw), 'X-Mailshield-Virus') ?? '',
    /^infected \(Eicar-Test-Signature/,
  );
  assert.ok(
    Buffer.from(out.raw)
      .subarray(out.raw.length - raw.length)
      .equals(raw),
  );
  const outcome = out.outcomes[0]!;
  assert.equal(outcome.stage, Stage.STAGE_ANTIVIRUS);
  assert.equal(outcome.scanner, 'clamd');
  assert.equal(outcome.status, 'infected');
  assert.equal(outcome.action, 'skip');
  assert.equal(outcome.policyVersion, 7);
  assert.ok(outcome.traceId.length === 32);
  assert.ok(out.traceContext['traceparent']?.includes(outcome.traceId));
});

test('inbound verdict header is removed', { skip }, async () => {
  const { bus, context } = contextWith(undefined, fixedPolicy({}));
  const clean = mailWithAttachment('notes.txt', Buffer.from(`meeting notes ${Date.now()}\n`));
  const forged = Buffer.concat([Buffer.from('X-Mailshield-Virus: clean\r\n'), clean]);
  const out = Buffer.from((await runOne(messageRecord(forged), context, bus)).raw);
  assert.equal(getHeader(out, 'X-Mailshield-Virus'), undefined);
  assert.ok(out.equals(clean));
});

test('DELETE_OBJECT replaces only the infected part', { skip }, async () => {
  const { bus, backup, context } = contextWith(
    undefined,
    fixedPolicy({ onInfected: VirusAction.VIRUS_ACTION_DELETE_OBJECT }),
  );
  const raw = mailWithAttachment('eicar.com', eicar);
  const part = walkMessage(raw).leaves.find((leaf) => leaf.fileName === 'eicar.com')!.range!;
  const out = await runOne(messageRecord(raw), context, bus);
  const changed = Buffer.from(out.raw);
  assert.equal(out.disposition, Disposition.DISPOSITION_DELIVER);
  assert.equal(out.outcomes[0]!.action, 'delete_object');
  const headerLength = changed.indexOf(raw.subarray(0, 20));
  const rest = changed.subarray(headerLength);
  assert.ok(
    rest.subarray(0, part.start).equals(raw.subarray(0, part.start)),
    'bytes before the part changed',
  );
  assert.ok(
    rest.subarray(rest.length - (raw.length - part.end)).equals(raw.subarray(part.end)),
    'bytes after the part changed',
  );
  const reparsed = walkMessage(rest);
  const notice = reparsed.leaves.find((leaf) => leaf.path === '2')!;
  assert.equal(notice.contentType, 'text/plain');
  assert.match(
    notice.content.toString(),
    /^This attachment \(eicar\.com\) was removed by mailshield because it contained Eicar-Test-Signature/,
  );
  assert.equal(backup.stored.length, 1);
  assert.ok(Buffer.from(backup.stored[0]!.record.raw).equals(raw));
});

test('DELETE_OBJECT on a single-part body deletes the message', { skip }, async () => {
  const { bus, backup, context } = contextWith(
    undefined,
    fixedPolicy({ onInfected: VirusAction.VIRUS_ACTION_DELETE_OBJECT }),
  );
  const out = await runOne(messageRecord(crlf(['Subject: body', '', EICAR, ''])), context, bus);
  assert.equal(out.disposition, Disposition.DISPOSITION_DELETE);
  assert.equal(out.outcomes[0]!.action, 'delete_message');
  assert.equal(backup.stored.length, 1);
});

test('REJECT sets the reply and stores a backup', { skip }, async () => {
  const { bus, backup, context } = contextWith(
    undefined,
    fixedPolicy({ onInfected: VirusAction.VIRUS_ACTION_REJECT }),
  );
  const out = await runOne(messageRecord(mailWithAttachment('eicar.com', eicar)), context, bus);
  assert.equal(out.disposition, Disposition.DISPOSITION_REJECT);
  assert.match(out.reply, /^550 5\.7\.1 Message rejected: virus found \(Eicar-Test-Signature/);
  assert.equal(backup.stored[0]!.outcome.action, 'reject');
});

test('failed backup leaves the batch uncommitted', { skip }, async () => {
  const { bus, backup, context } = contextWith(
    undefined,
    fixedPolicy({ onInfected: VirusAction.VIRUS_ACTION_DELETE_MESSAGE }),
  );
  backup.shouldFail = true;
  const record = messageRecord(mailWithAttachment('eicar.com', eicar));
  await assert.rejects(
    runOne(record, context, bus),
    (err: unknown) => err instanceof UnavailableError && err.code === 'AV_BACKUP_FAILED',
  );
  assert.equal(bus.publishes.length, 0);
});

test('clamd down after queue retries the batch', async () => {
  const down = poolFor(await closedPort());
  const { bus, context } = contextWith(down, fixedPolicy());
  const record = messageRecord(mailWithAttachment('a.txt', Buffer.from('hi')));
  await assert.rejects(
    runOne(record, context, bus),
    (err: unknown) => err instanceof UnavailableError && err.code === 'AV_RETRY_LATER',
  );
  assert.equal(bus.publishes.length, 0);
});

test('blocked part with clamd down is retried', async () => {
  const down = poolFor(await closedPort());
  const rules = [attachmentRule({ name: 'exe-names', namePatterns: ['*.exe'] })];
  const { bus, backup, context } = contextWith(
    down,
    fixedPolicy({}, 10, { attachmentRules: rules }),
  );
  const record = messageRecord(mailWithAttachment('tool.exe', Buffer.from('MZ not really')));
  await assert.rejects(
    runOne(record, context, bus),
    (err: unknown) => err instanceof UnavailableError && err.code === 'AV_RETRY_LATER',
  );
  assert.equal(backup.stored.length, 0);
});

test('consumer pauses while clamd is down', async () => {
  const down = poolFor(await closedPort());
  const { bus, context } = contextWith(down, fixedPolicy());
  const record = messageRecord(mailWithAttachment('a.txt', Buffer.from('hi')));
  await assert.rejects(runOne(record, context, bus), UnavailableError);
  assert.equal(down.isAvailable(), false);
  await assert.rejects(
    runOne(record, context, bus),
    (err: unknown) => err instanceof RetryLaterError && err.delayMs === 1000,
  );
  assert.equal(context.pauseState.isPaused, true);
  const metrics = await context.metrics.consumptionPaused.get();
  assert.equal(metrics.values[0]?.value, 1);
  assert.equal(bus.publishes.length, 0);
});

test('silent clamd before queue answers 451', async () => {
  const silent = await startSilentServer();
  after(() => silent.close());
  const { bus, context } = contextWith(poolFor(silent.address), fixedPolicy({}, 1));
  const out = await runOne(
    messageRecord(
      mailWithAttachment('a.txt', Buffer.from('hi')),
      QueueMode.QUEUE_MODE_BEFORE_QUEUE,
    ),
    context,
    bus,
  );
  assert.equal(out.disposition, Disposition.DISPOSITION_TEMPFAIL);
  assert.equal(out.reply, '451 4.7.0 Virus scan failed, try again later');
  assert.equal(out.outcomes[0]!.status, 'unscanned');
  assert.equal(out.outcomes[0]!.reason, 'AV_CLAMD_TIMEOUT');
  const metrics = await context.metrics.unscanned.get();
  assert.deepEqual(
    metrics.values.map((value) => [value.labels['reason'], value.value]),
    [['AV_CLAMD_TIMEOUT', 1]],
  );
});

test('decided record passes unchanged', async () => {
  const down = poolFor(await closedPort());
  const { bus, context } = contextWith(down, fixedPolicy());
  const record = {
    ...messageRecord(Buffer.from('Subject: x\r\n\r\nbody')),
    disposition: Disposition.DISPOSITION_REJECT,
    reply: '550 no',
  };
  const out = await runOne(record, context, bus);
  assert.equal(out.disposition, Disposition.DISPOSITION_REJECT);
  assert.equal(out.reply, '550 no');
  assert.equal(out.outcomes.length, 0);
  assert.ok(Buffer.from(out.raw).equals(record.raw));
});

test('consumer publishes a whole batch in one call', { skip }, async () => {
  const { bus, context } = contextWith(undefined, fixedPolicy());
  await startConsumer(context);
  assert.equal(bus.subscriptions[0]?.groupId, 'mailshield-antivirus');
  const clean = messageRecord(mailWithAttachment('notes.txt', Buffer.from(`notes ${Date.now()}`)));
  const infected = messageRecord(mailWithAttachment('eicar.com', eicar));
  await bus.deliver(Topics.inbound, [clean, infected].map(encodeRecord));
  assert.equal(bus.publishes.length, 1);
  const outs = bus.publishes[0]!.records.map((r) =>
    decodeRecord({ ...r, topic: Topics.scanned, partition: 0, offset: '0' }),
  );
  assert.deepEqual(
    outs.map((r) => r.id),
    [clean.id, infected.id],
  );
  assert.equal(outs[0]!.outcomes[0]!.status, 'clean');
  assert.equal(outs[0]!.disposition, Disposition.DISPOSITION_DELIVER);
  assert.ok(Buffer.from(outs[0]!.raw).equals(clean.raw));
  assert.equal(outs[1]!.disposition, Disposition.DISPOSITION_REJECT);
  assert.equal(headerEnd(Buffer.from(outs[1]!.raw)) > 0, true);
});
