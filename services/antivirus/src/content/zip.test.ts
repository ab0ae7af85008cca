import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, deflateRawSync } from 'node:zlib';
import { buildZip, EICAR } from '../test/helpers.js';
import { listZip } from './zip.js';
import { expandZipEntry } from './zip-expand.js';

const eicar = Buffer.from(EICAR, 'latin1');

/** An AES extra field (0x9901): version 2, vendor "AE", strength 3, real method. */
function aesExtra(method: number): Buffer {
  const extra = Buffer.alloc(11);
  extra.writeUInt16LE(0x9901, 0);
  extra.writeUInt16LE(7, 2);
  extra.writeUInt16LE(2, 4);
  extra.write('AE', 6, 'latin1');
  extra.writeUInt8(3, 8);
  extra.writeUInt16LE(method, 9);
  return extra;
}

/** Builds one member as a streaming writer does: no sizes in the local header, a data descriptor. */
function streamedMember(name: string, content: Buffer): Buffer {
  const data = deflateRawSync(content);
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt16LE(0x0008, 6);
  header.writeUInt16LE(8, 8);
  header.writeUInt16LE(Buffer.byteLength(name), 26);
  const descriptor = Buffer.alloc(16);
  descriptor.writeUInt32LE(0x08074b50, 0);
  descriptor.writeUInt32LE(crc32(content), 4);
  descriptor.writeUInt32LE(data.length, 8);
  descriptor.writeUInt32LE(content.length, 12);
  return Buffer.concat([header, Buffer.from(name), data, descriptor]);
}

test('listZip lists names, sizes and methods', () => {
  const zip = buildZip([
    { name: 'docs/readme.txt', content: Buffer.from('hello hello hello hello') },
    { name: 'eicar.com', method: 0, content: eicar },
  ]);
  const listing = listZip(zip);
  assert.equal(listing.isCorrupted, false);
  assert.equal(listing.isTruncated, false);
  assert.deepEqual(
    listing.entries.map((e) => [e.name, e.method, e.declaredSize]),
    [
      ['docs/readme.txt', 8, 23],
      ['eicar.com', 0, 68],
    ],
  );
  assert.equal(listing.entries[1]!.compressedSize, 68);
});

test('listZip decodes CP437 names without the UTF-8 flag', () => {
  const rawName = Buffer.from([0x66, 0x81, 0x72, 0x2e, 0x65, 0x78, 0x65]);
  const zip = buildZip([{ name: 'unused', rawName, content: Buffer.from('x') }]);
  assert.equal(listZip(zip).entries[0]!.name, 'für.exe');
});

test('listZip decodes UTF-8 names with the UTF-8 flag', () => {
  const zip = buildZip([{ name: 'résumé.pdf.exe', flags: 0x0800, content: Buffer.from('x') }]);
  assert.equal(listZip(zip).entries[0]!.name, 'résumé.pdf.exe');
});

test('listZip marks encrypted entries', () => {
  const zip = buildZip([
    {
      name: 'zipcrypto.exe',
      flags: 0x0001,
      method: 8,
      data: Buffer.alloc(40, 7),
      declaredSize: 30,
    },
    { name: 'aes.exe', method: 99, data: Buffer.alloc(40, 7), extra: aesExtra(8), declaredSize: 9 },
    { name: 'plain.txt', content: Buffer.from('plain') },
  ]);
  const entries = listZip(zip).entries;
  assert.deepEqual(
    entries.map((e) => e.isEncrypted),
    [true, true, false],
  );
  assert.equal(entries[1]!.method, 8);
});

test('listZip marks directories', () => {
  const zip = buildZip([
    { name: 'folder/', method: 0 },
    { name: 'folder/a.txt', content: Buffer.from('a') },
  ]);
  assert.deepEqual(
    listZip(zip).entries.map((e) => e.isDirectory),
    [true, false],
  );
});

test('listZip reads ZIP64 records', () => {
  const zip = buildZip(
    [
      { name: 'a.txt', content: Buffer.from('first member') },
      { name: 'eicar.com', content: eicar },
    ],
    { zip64: true },
  );
  const listing = listZip(zip);
  assert.equal(listing.isZip64, true);
  assert.equal(listing.isCorrupted, false);
  const entry = listing.entries[1]!;
  assert.equal(entry.declaredSize, 68);
  const expansion = expandZipEntry(zip, entry, 1000);
  assert.equal(expansion.status, 'expanded');
  if (expansion.status === 'expanded') assert.equal(expansion.content.toString('latin1'), EICAR);
});

test('listZip shifts offsets past a prefix', () => {
  const prefix = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(1000, 0x90)]);
  const zip = buildZip([{ name: 'eicar.com', content: eicar }]);
  // A prefix added after the archive was written, so stored offsets ignore it.
  const listing = listZip(Buffer.concat([prefix, zip]));
  assert.equal(listing.isCorrupted, false);
  const expansion = expandZipEntry(Buffer.concat([prefix, zip]), listing.entries[0]!, 1000);
  assert.equal(expansion.status, 'expanded');
});

test('listZip scans local headers when the end is cut off', () => {
  const zip = buildZip([
    { name: 'a.txt', content: Buffer.from('first') },
    { name: 'eicar.com', content: eicar },
  ]);
  const cut = zip.subarray(0, zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])) + 10);
  const listing = listZip(cut);
  assert.equal(listing.isCorrupted, true);
  assert.deepEqual(
    listing.entries.map((e) => e.name),
    ['a.txt', 'eicar.com'],
  );
  assert.equal(expandZipEntry(cut, listing.entries[1]!, 1000).status, 'expanded');
});

test('listZip reads streamed members without a directory', () => {
  const zip = Buffer.concat([
    streamedMember('a.txt', Buffer.from('alpha alpha alpha')),
    streamedMember('eicar.com', eicar),
  ]);
  const listing = listZip(zip);
  assert.equal(listing.isCorrupted, true);
  assert.equal(listing.entries.length, 2);
  assert.equal(listing.entries[1]!.hasUnknownSizes, true);
  const expansion = expandZipEntry(zip, listing.entries[1]!, 1000);
  assert.equal(expansion.status, 'expanded');
  if (expansion.status === 'expanded') assert.equal(expansion.content.toString('latin1'), EICAR);
});

test('listZip stops at maxEntries', () => {
  const zip = buildZip(
    Array.from({ length: 20 }, (_, index) => ({
      name: `f${index}.txt`,
      content: Buffer.from('x'),
    })),
  );
  const listing = listZip(zip, { maxEntries: 5 });
  assert.equal(listing.entries.length, 5);
  assert.equal(listing.isTruncated, true);
});

test('listZip reports junk as corrupted', () => {
  const listing = listZip(Buffer.from('PK\x05\x06 is not enough to be a zip archive'));
  assert.deepEqual(listing.entries, []);
  assert.equal(listing.isCorrupted, true);
});

test('listZip survives damaged archives', () => {
  const zip = buildZip([
    { name: 'a.txt', content: Buffer.from('first member content') },
    { name: 'b.txt', method: 0, content: Buffer.from('second member') },
  ]);
  // A fixed pseudo-random sequence, so a failure can be reproduced.
  let seed = 12345;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let round = 0; round < 2000; round++) {
    const damaged = Buffer.from(zip.subarray(0, zip.length - (next() % 8)));
    for (let hit = 0; hit < 4; hit++) damaged[next() % damaged.length] = next() % 256;
    for (const entry of listZip(damaged).entries) expandZipEntry(damaged, entry, 4096);
  }
});
