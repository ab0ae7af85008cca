import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import {
  decodeRecord,
  InvalidArgumentError,
  MemoryBus,
  NotFoundError,
  Topics,
  UnavailableError,
} from '@mailshield/common';
import { Disposition, RecordKind, Stage } from '@mailshield/proto/message';
import { makeOutcome, makeRecord, makeTempDir, testBackupKey } from '../testing/support.js';
import { FileBackupStore } from './file-backup-store.js';
import { releaseBackup } from './release.js';

async function storeWithOneBackup(t: {
  after(fn: () => Promise<void>): void;
}): Promise<FileBackupStore> {
  const store = new FileBackupStore(join(await makeTempDir(t), 'backups'), testBackupKey);
  await store.open();
  await store.store(makeRecord('m-1'), makeOutcome('infected', 'delete_message'));
  return store;
}

test('release publishes a RELEASE record', async (t) => {
  const store = await storeWithOneBackup(t);
  const bus = new MemoryBus();
  const at = await releaseBackup(
    store,
    bus,
    { id: 'm-1', recipients: [], actor: 'alice', notSpam: false },
    'cp-1',
  );

  assert.equal(bus.publishes.length, 1);
  const { topic, records } = bus.publishes[0]!;
  const busRecord = records[0]!;
  assert.equal(topic, Topics.verdicts);
  assert.equal(busRecord.key, 'm-1');
  const record = decodeRecord({ ...busRecord, topic, partition: 0, offset: '0' });
  assert.equal(record.kind, RecordKind.RECORD_KIND_RELEASE);
  assert.equal(record.disposition, Disposition.DISPOSITION_DELIVER);
  assert.deepEqual(record.deliverTo, []);
  const original = makeRecord('m-1').raw;
  const released = Buffer.from(record.raw);
  assert.ok(released.subarray(released.length - original.length).equals(original));
  assert.match(released.toString('latin1'), /^X-Mailshield-Released: \S+; status=\w+\r\n/);
  const last = record.outcomes.at(-1)!;
  assert.equal(record.outcomes.length, 2);
  assert.equal(last.stage, Stage.STAGE_CONTROL_PLANE);
  assert.equal(last.status, 'released');
  assert.equal(last.action, 'release');
  assert.equal(last.instance, 'cp-1');
  assert.equal((await store.get('m-1')).summary.releasedAt?.getTime(), at.getTime());
});

test('release to other recipients sets deliver_to', async (t) => {
  const store = await storeWithOneBackup(t);
  const bus = new MemoryBus();
  await releaseBackup(
    store,
    bus,
    { id: 'm-1', recipients: ['dave@example.com'], actor: 'alice', notSpam: false },
    'cp-1',
  );
  await releaseBackup(
    store,
    bus,
    { id: 'm-1', recipients: [], actor: 'bob', notSpam: false },
    'cp-1',
  );
  const first = decodeRecord({
    ...bus.publishes[0]!.records[0]!,
    topic: Topics.verdicts,
    partition: 0,
    offset: '0',
  });
  assert.deepEqual(first.deliverTo, ['dave@example.com']);
  assert.equal(bus.publishes.length, 2);
});

test('release keeps the recipients a bounce names', async (t) => {
  const store = new FileBackupStore(join(await makeTempDir(t), 'backups'), testBackupKey);
  await store.open();
  const bounced = { ...makeRecord('m-2'), deliverTo: ['carol@example.com'] };
  await store.store(bounced, makeOutcome('bounced', 'hold'));
  const bus = new MemoryBus();
  await releaseBackup(
    store,
    bus,
    { id: 'm-2', recipients: [], actor: 'alice', notSpam: false },
    'cp-1',
  );
  const record = decodeRecord({
    ...bus.publishes[0]!.records[0]!,
    topic: Topics.verdicts,
    partition: 0,
    offset: '0',
  });
  assert.deepEqual(record.deliverTo, ['carol@example.com']);
});

test('release of an unknown id is NOT_FOUND', async (t) => {
  const store = await storeWithOneBackup(t);
  const bus = new MemoryBus();
  await assert.rejects(
    releaseBackup(store, bus, { id: 'nope', recipients: [], actor: 'a', notSpam: false }, 'cp'),
    NotFoundError,
  );
  assert.equal(bus.publishes.length, 0);
});

test('release rejects an invalid recipient', async (t) => {
  const store = await storeWithOneBackup(t);
  const request = { id: 'm-1', recipients: ['not-an-address'], actor: 'a', notSpam: false };
  await assert.rejects(releaseBackup(store, new MemoryBus(), request, 'cp'), (err: unknown) => {
    assert.ok(err instanceof InvalidArgumentError);
    assert.deepEqual(err.fieldErrors, ['recipients[0]: "not-an-address" is not an address']);
    return true;
  });
});

test('failed publish leaves the backup unreleased', async (t) => {
  const store = await storeWithOneBackup(t);
  const bus = new MemoryBus();
  bus.publishError = new Error('publish failed');
  await assert.rejects(
    releaseBackup(store, bus, { id: 'm-1', recipients: [], actor: 'a', notSpam: false }, 'cp'),
    UnavailableError,
  );
  assert.equal((await store.get('m-1')).summary.releasedAt, undefined);
});
