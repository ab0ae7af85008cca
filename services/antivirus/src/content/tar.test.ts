import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTar, EICAR } from '../test/helpers.js';
import { isTarHeader, listTar } from './tar.js';

const eicar = Buffer.from(EICAR, 'latin1');

/** Builds a header block of the given type with `body`, as GNU tar and PAX write them. */
function special(type: string, body: Buffer): Buffer {
  const tar = buildTar([{ name: '././@LongLink', content: body }]);
  tar.write(type, 156, 'latin1');
  tar.write('        ', 148, 'latin1');
  const sum = tar.subarray(0, 512).reduce((total, byte) => total + byte, 0);
  tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return tar.subarray(0, tar.length - 1024);
}

test('listTar lists names, sizes and data', () => {
  const tar = buildTar([
    { name: 'docs/readme.txt', content: Buffer.from('hello') },
    { name: 'eicar.com', content: eicar },
  ]);
  const listing = listTar(tar);
  assert.equal(listing.isCorrupted, false);
  assert.deepEqual(
    listing.entries.map((e) => [e.name, e.size]),
    [
      ['docs/readme.txt', 5],
      ['eicar.com', 68],
    ],
  );
  const entry = listing.entries[1]!;
  assert.equal(tar.toString('latin1', entry.dataOffset, entry.dataOffset + entry.size), EICAR);
});

test('listTar applies GNU long names and PAX paths', () => {
  const longName = `${'d/'.repeat(80)}payload.exe`;
  const tar = Buffer.concat([
    special('L', Buffer.from(`${longName}\0`)),
    buildTar([{ name: 'short-1', content: Buffer.from('a') }]).subarray(0, 1024),
    special('x', Buffer.from('30 path=pax/folder/report.js\n')),
    buildTar([{ name: 'short-2', content: Buffer.from('b') }]),
  ]);
  assert.deepEqual(
    listTar(tar).entries.map((e) => e.name),
    [longName, 'pax/folder/report.js'],
  );
});

test('listTar reports a cut archive as corrupted', () => {
  const tar = buildTar([
    { name: 'a.txt', content: Buffer.from('a') },
    { name: 'b.bin', content: Buffer.alloc(4000) },
  ]);
  const listing = listTar(tar.subarray(0, 2000));
  assert.equal(listing.isCorrupted, true);
  assert.deepEqual(
    listing.entries.map((e) => e.name),
    ['a.txt'],
  );
});

test('listTar reports a bad checksum as corrupted', () => {
  const tar = buildTar([{ name: 'a.txt', content: Buffer.from('a') }]);
  tar.write('b', 0, 'latin1');
  assert.equal(listTar(tar).isCorrupted, true);
});

test('listTar stops at maxEntries', () => {
  const files = Array.from({ length: 8 }, (_, i) => ({ name: `f${i}`, content: Buffer.from('x') }));
  const listing = listTar(buildTar(files), 3);
  assert.equal(listing.entries.length, 3);
  assert.equal(listing.isTruncated, true);
});

test('isTarHeader rejects text', () => {
  assert.equal(isTarHeader(Buffer.from('hello '.repeat(200))), false);
});

test('listTar survives damaged archives', () => {
  const tar = buildTar([
    { name: 'a.txt', content: Buffer.from('first') },
    { name: 'b.bin', content: Buffer.alloc(700, 1) },
  ]);
  // A fixed pseudo-random sequence, so a failure can be reproduced.
  let seed = 99;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let round = 0; round < 2000; round++) {
    const damaged = Buffer.from(tar.subarray(0, tar.length - (next() % 1500)));
    for (let hit = 0; hit < 3; hit++) damaged[next() % damaged.length] = next() % 256;
    const listing = listTar(damaged);
    for (const entry of listing.entries) assert.ok(entry.dataOffset + entry.size <= damaged.length);
  }
});
