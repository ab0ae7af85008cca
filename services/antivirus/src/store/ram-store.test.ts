import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createLogger } from '@mailshield/common';
import { RamStore } from './ram-store.js';

const logger = createLogger('test', 'silent');

test('store writes objects and cleans them up', async (t) => {
  const folder = await mkdtemp(join(tmpdir(), 'mailshield-store-'));
  t.after(() => rm(folder, { recursive: true, force: true }));
  const store = await RamStore.open({ folder, maxBytes: 100 }, logger);
  const message = store.openMessage();
  const path = await message.write(Buffer.from('hello'));
  assert.ok(path !== undefined);
  assert.equal(await readFile(path, 'utf8'), 'hello');
  assert.equal(store.bytesInUse, 5);
  await message.cleanup();
  assert.deepEqual(await readdir(folder), []);
  assert.equal(store.bytesInUse, 0);
});

test('store returns no path when full', async (t) => {
  const folder = await mkdtemp(join(tmpdir(), 'mailshield-store-'));
  t.after(() => rm(folder, { recursive: true, force: true }));
  const store = await RamStore.open({ folder, maxBytes: 10 }, logger);
  const first = store.openMessage();
  assert.ok((await first.write(Buffer.alloc(8))) !== undefined);
  const second = store.openMessage();
  assert.equal(await second.write(Buffer.alloc(8)), undefined);
  await first.cleanup();
  assert.ok((await second.write(Buffer.alloc(8))) !== undefined);
  await second.cleanup();
  assert.equal(store.bytesInUse, 0);
});

test('store removes leftovers on open', async (t) => {
  const folder = await mkdtemp(join(tmpdir(), 'mailshield-store-'));
  t.after(() => rm(folder, { recursive: true, force: true }));
  await mkdir(join(folder, 'msg-old'));
  await writeFile(join(folder, 'msg-old', 'object-0'), 'x');
  await writeFile(join(folder, 'keep.txt'), 'not ours');
  await RamStore.open({ folder, maxBytes: 10 }, logger);
  assert.deepEqual(await readdir(folder), ['keep.txt']);
});
