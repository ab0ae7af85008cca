import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { buildTar, buildTnef, buildZip, EICAR } from '../test/helpers.js';
import { inspectObject } from './inspect.js';

const eicar = Buffer.from(EICAR, 'latin1');
const MIB = 1024 * 1024;

/** Bytes that deflate cannot shrink, from a fixed seed so runs are repeatable. */
function noise(size: number): Buffer {
  const data = Buffer.alloc(size);
  let seed = 7;
  for (let i = 0; i < size; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    data[i] = seed >>> 16;
  }
  return data;
}

/** Builds a zip of `content` named `name`, wrapped in zips named level-<n>.zip, `depth` in all. */
function nestedZip(depth: number, name: string, content: Buffer): Buffer {
  let archive = buildZip([{ name, content }]);
  for (let level = depth; level > 1; level--)
    archive = buildZip([{ name: `level-${level}.zip`, content: archive }]);
  return archive;
}

test('inspectObject finds eicar.com in a misnamed nested zip', () => {
  const docs = buildZip([{ name: 'eicar.com', content: eicar }]);
  const outer = buildZip([{ name: 'docs.zip', content: docs }]);
  const inspection = inspectObject(outer, 'scan0001.dat');
  assert.equal(inspection.type.id, 'zip');
  const found = inspection.entries.find((entry) => entry.name === 'eicar.com');
  assert.equal(found?.path, 'scan0001.dat/docs.zip/eicar.com');
  assert.equal(found?.depth, 2);
  assert.equal(found?.size, 68);
  assert.equal(found?.status, 'inspected');
  assert.equal(inspection.entries[0]!.type.id, 'zip');
  assert.deepEqual(inspection.limitBreaches, []);
  assert.deepEqual(inspection.extracted, []);
  assert.equal(inspection.isCorrupted, false);
});

test('inspectObject paths start at members without a name', () => {
  const outer = buildZip([
    { name: 'docs.zip', content: buildZip([{ name: 'a.txt', content: eicar }]) },
  ]);
  const paths = inspectObject(outer, undefined).entries.map((entry) => entry.path);
  assert.deepEqual(paths, ['docs.zip', 'docs.zip/a.txt']);
});

test('inspectObject types members by content', () => {
  const program = Buffer.alloc(0x200);
  program.write('MZ', 0, 'latin1');
  program.writeUInt32LE(0x80, 0x3c);
  program.write('PE\0\0', 0x80, 'latin1');
  const zip = buildZip([{ name: 'invoice.pdf', content: program }]);
  const entry = inspectObject(zip, 'invoice.zip').entries[0]!;
  assert.deepEqual(entry.type, { id: 'exe', category: 'executable' });
});

test('inspectObject marks encrypted members protected', () => {
  const zip = buildZip([
    { name: 'secret.exe', flags: 0x0001, data: Buffer.alloc(80, 3), declaredSize: 64 },
    { name: 'readme.txt', content: Buffer.from('password is in the mail') },
  ]);
  const inspection = inspectObject(zip, 'secret.zip');
  assert.equal(inspection.isProtected, true);
  const secret = inspection.entries[0]!;
  assert.equal(secret.isEncrypted, true);
  assert.equal(secret.status, 'protected');
  assert.equal(secret.size, 64);
  assert.equal(inspection.entries[1]!.status, 'inspected');
  assert.deepEqual(inspection.limitBreaches, []);
});

test('inspectObject stops at the depth limit', () => {
  const inspection = inspectObject(nestedZip(4, 'eicar.com', eicar), 'deep.zip', {
    maxArchiveDepth: 2,
  });
  assert.deepEqual(
    inspection.limitBreaches.map((breach) => breach.reason),
    ['archive-too-deep'],
  );
  assert.ok(inspection.entries.every((entry) => entry.depth <= 2));
  assert.equal(
    inspection.entries.some((entry) => entry.name === 'eicar.com'),
    false,
  );
});

test('inspectObject opens ten levels by default', () => {
  const ten = inspectObject(nestedZip(10, 'eicar.com', eicar), 'ten.zip');
  assert.deepEqual(ten.limitBreaches, []);
  assert.equal(ten.entries.find((entry) => entry.name === 'eicar.com')?.depth, 10);
  const eleven = inspectObject(nestedZip(11, 'eicar.com', eicar), 'eleven.zip');
  assert.equal(eleven.limitBreaches[0]?.reason, 'archive-too-deep');
});

test('inspectObject reports a truncated zip as corrupted', () => {
  const zip = buildZip([
    { name: 'a.txt', content: Buffer.from('first member') },
    { name: 'b.bin', content: noise(4000) },
  ]);
  const inspection = inspectObject(zip.subarray(0, 2000), 'cut.zip');
  assert.equal(inspection.type.id, 'zip');
  assert.equal(inspection.isCorrupted, true);
  assert.deepEqual(
    inspection.entries.map((entry) => [entry.name, entry.status]),
    [
      ['a.txt', 'inspected'],
      ['b.bin', 'corrupted'],
    ],
  );
});

test('inspectObject breaches on a declared large member', () => {
  const zip = buildZip([{ name: 'big.bin', content: noise(2 * MIB) }]);
  const inspection = inspectObject(zip, 'big.zip', { maxMemberBytes: MIB });
  assert.deepEqual(
    inspection.limitBreaches.map((breach) => breach.reason),
    ['member-too-large'],
  );
  assert.equal(inspection.entries[0]!.status, 'over-limit');
  assert.equal(inspection.entries[0]!.size, 2 * MIB);
});

test('inspectObject breaches on a member larger than declared', () => {
  const zip = buildZip([{ name: 'big.bin', content: noise(2 * MIB), declaredSize: 100 }]);
  const inspection = inspectObject(zip, 'big.zip', { maxMemberBytes: MIB });
  assert.deepEqual(
    inspection.limitBreaches.map((breach) => breach.reason),
    ['member-too-large'],
  );
  assert.equal(inspection.entries[0]!.status, 'over-limit');
  assert.equal(inspection.entries[0]!.type.id, 'unknown');
});

test('inspectObject types an over-limit member by its first bytes', () => {
  const program = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(0x3e), noise(2 * MIB)]);
  program.writeUInt16LE(0x90, 2);
  program.writeUInt16LE(3, 4);
  program.writeUInt16LE(4, 8);
  const zip = buildZip([{ name: 'setup.bin', content: program }]);
  const entry = inspectObject(zip, 'big.zip', { maxMemberBytes: MIB }).entries[0]!;
  assert.equal(entry.status, 'over-limit');
  assert.equal(entry.type.id, 'exe');
});

test('inspectObject stops listing at maxEntries', () => {
  const inner = buildZip([1, 2, 3].map((n) => ({ name: `inner-${n}.txt`, content: eicar })));
  const zip = buildZip([
    { name: 'a.txt', content: eicar },
    { name: 'inner.zip', content: inner },
    { name: 'b.txt', content: eicar },
  ]);
  const inspection = inspectObject(zip, 'many.zip', { maxEntries: 4 });
  assert.equal(inspection.entries.length, 4);
  assert.deepEqual(
    inspection.limitBreaches.map((breach) => breach.reason),
    ['too-many-entries'],
  );
});

test('inspectObject leaves other methods unexpanded', () => {
  const zip = buildZip([
    { name: 'a.bz2', method: 12, data: Buffer.alloc(50, 1), declaredSize: 80 },
  ]);
  const inspection = inspectObject(zip, 'bzip2.zip');
  assert.equal(inspection.entries[0]!.status, 'unexpanded');
  assert.deepEqual(inspection.limitBreaches, []);
});

test('inspectObject extracts TNEF attachments', () => {
  const tnef = buildTnef([
    { title: 'EICAR~1.COM', longFileName: 'eicar.com', content: eicar },
    { title: 'report.zip', content: buildZip([{ name: 'macro.docm', content: eicar }]) },
  ]);
  const inspection = inspectObject(tnef, 'winmail.dat');
  assert.equal(inspection.type.id, 'tnef');
  assert.deepEqual(
    inspection.extracted.map((file) => [file.name, file.path, file.content.length]),
    [
      ['eicar.com', 'winmail.dat/eicar.com', 68],
      ['report.zip', 'winmail.dat/report.zip', inspection.extracted[1]!.content.length],
    ],
  );
  assert.deepEqual(inspection.extracted[0]!.content, eicar);
  assert.deepEqual(
    inspection.entries.map((entry) => entry.path),
    ['winmail.dat/eicar.com', 'winmail.dat/report.zip', 'winmail.dat/report.zip/macro.docm'],
  );
});

test('inspectObject extracts attachments of attached messages', () => {
  const inner = buildTnef([{ title: 'inner.com', content: eicar }]);
  const tnef = buildTnef([{ title: 'Forwarded message', embeddedMessage: inner }]);
  const inspection = inspectObject(tnef, 'winmail.dat');
  assert.deepEqual(
    inspection.extracted.map((file) => file.path),
    ['winmail.dat/Forwarded message/inner.com'],
  );
  assert.equal(inspection.entries[0]!.type.id, 'tnef');
});

test('inspectObject does not extract TNEF inside a zip', () => {
  const tnef = buildTnef([{ title: 'eicar.com', content: eicar }]);
  const inspection = inspectObject(buildZip([{ name: 'winmail.dat', content: tnef }]), 'a.zip');
  assert.deepEqual(inspection.extracted, []);
  assert.equal(inspection.entries[1]!.path, 'a.zip/winmail.dat/eicar.com');
});

test('inspectObject keeps partial results of a cut TNEF', () => {
  const tnef = buildTnef([
    { title: 'eicar.com', content: eicar },
    { title: 'big.bin', content: Buffer.alloc(5000, 0x41) },
  ]);
  const inspection = inspectObject(tnef.subarray(0, tnef.length - 1000), 'winmail.dat');
  assert.equal(inspection.isCorrupted, true);
  assert.deepEqual(inspection.extracted[0]!.content, eicar);
  assert.equal(inspection.extracted[1]!.name, 'big.bin');
});

test('inspectObject opens a tar.gz', () => {
  const tar = buildTar([
    { name: 'notes.txt', content: Buffer.from('notes') },
    { name: 'bin/eicar.com', content: eicar },
  ]);
  const inspection = inspectObject(gzipSync(tar), 'backup.tar.gz');
  assert.equal(inspection.type.id, 'gzip');
  assert.deepEqual(
    inspection.entries.map((entry) => [entry.path, entry.type.id, entry.depth]),
    [
      ['backup.tar.gz/backup.tar', 'tar', 0],
      ['backup.tar.gz/backup.tar/notes.txt', 'text', 1],
      ['backup.tar.gz/backup.tar/bin/eicar.com', 'text', 1],
    ],
  );
});

test('inspectObject breaches on a large tar member', () => {
  const tar = buildTar([{ name: 'big.bin', content: Buffer.alloc(2 * MIB) }]);
  const inspection = inspectObject(tar, 'big.tar', { maxMemberBytes: MIB });
  assert.equal(inspection.limitBreaches[0]?.reason, 'member-too-large');
});

test('inspectObject leaves plain files alone', () => {
  const inspection = inspectObject(eicar, 'eicar.com');
  assert.deepEqual(inspection.type, { id: 'text', category: 'text' });
  assert.deepEqual(inspection.entries, []);
  assert.equal(inspection.isCorrupted, false);
});

test('inspectObject rejects an invalid limit', () => {
  assert.throws(() => inspectObject(eicar, 'a', { maxEntries: 0 }), RangeError);
  assert.throws(() => inspectObject(eicar, 'a', { maxArchiveDepth: 1.5 }), RangeError);
  assert.throws(() => inspectObject(eicar, 'a', { maxMemberBytes: Number.NaN }), RangeError);
});

test('inspectObject survives damaged containers', () => {
  const tnef = buildTnef([{ title: 'eicar.com', content: eicar }]);
  const samples = [
    buildZip([{ name: 'inner.zip', content: buildZip([{ name: 'winmail.dat', content: tnef }]) }]),
    gzipSync(buildTar([{ name: 'a.zip', content: buildZip([{ name: 'b.txt', content: eicar }]) }])),
    buildTnef([{ title: 'x.zip', content: buildZip([{ name: 'c.txt', content: eicar }]) }]),
  ];
  // A fixed pseudo-random sequence, so a failure can be reproduced.
  let seed = 2024;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (const sample of samples) {
    for (let round = 0; round < 500; round++) {
      const damaged = Buffer.from(sample.subarray(0, sample.length - (next() % 16)));
      for (let hit = 0; hit < 3; hit++) damaged[next() % damaged.length] = next() % 256;
      const inspection = inspectObject(damaged, 'damaged');
      assert.ok(inspection.entries.length <= 10000);
    }
  }
});
