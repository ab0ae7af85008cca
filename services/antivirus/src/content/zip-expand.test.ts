import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildZip, deflatedZeros, EICAR, zerosCrc32 } from '../test/helpers.js';
import { listZip } from './zip.js';
import { expandZipEntry, peekZipEntry } from './zip-expand.js';

const eicar = Buffer.from(EICAR, 'latin1');
const MIB = 1024 * 1024;

function only(zip: Buffer): { zip: Buffer; entry: ReturnType<typeof listZip>['entries'][0] } {
  return { zip, entry: listZip(zip).entries[0]! };
}

test('expandZipEntry inflates a deflated member', () => {
  const { zip, entry } = only(buildZip([{ name: 'eicar.com', content: eicar }]));
  const expansion = expandZipEntry(zip, entry, 1000);
  assert.equal(expansion.status, 'expanded');
  if (expansion.status === 'expanded') assert.deepEqual(expansion.content, eicar);
});

test('expandZipEntry copies a stored member', () => {
  const { zip, entry } = only(buildZip([{ name: 'eicar.com', method: 0, content: eicar }]));
  const expansion = expandZipEntry(zip, entry, 1000);
  assert.equal(expansion.status, 'expanded');
  if (expansion.status === 'expanded') assert.deepEqual(expansion.content, eicar);
});

test('expandZipEntry rejects a CRC mismatch', () => {
  const { zip, entry } = only(buildZip([{ name: 'a.txt', content: eicar, crc: 0x12345678 }]));
  assert.deepEqual(expandZipEntry(zip, entry, 1000), {
    status: 'corrupted',
    detail: 'CRC-32 mismatch',
  });
});

test('expandZipEntry rejects a wrong declared size', () => {
  const { zip, entry } = only(buildZip([{ name: 'a.txt', content: eicar, declaredSize: 10 }]));
  const expansion = expandZipEntry(zip, entry, 1000);
  assert.equal(expansion.status, 'corrupted');
});

test('expandZipEntry stops a bomb at the limit', () => {
  const size = 300 * MIB;
  const data = deflatedZeros(size);
  // The declared size lies, so only the output itself can stop the expansion.
  const zip = buildZip([{ name: 'zeros.bin', data, declaredSize: 1000, crc: zerosCrc32(size) }]);
  const started = performance.now();
  const expansion = expandZipEntry(zip, listZip(zip).entries[0]!, MIB);
  const elapsed = performance.now() - started;
  assert.equal(expansion.status, 'over-limit');
  assert.ok(elapsed < 1000, `took ${elapsed} ms`);
});

test('expandZipEntry stops a stored member at the limit', () => {
  const { zip, entry } = only(
    buildZip([{ name: 'big.bin', method: 0, content: Buffer.alloc(5000) }]),
  );
  assert.equal(expandZipEntry(zip, entry, 4999).status, 'over-limit');
  assert.equal(expandZipEntry(zip, entry, 5000).status, 'expanded');
});

test('expandZipEntry leaves encrypted members protected', () => {
  const zip = buildZip([{ name: 'a.exe', flags: 1, data: Buffer.alloc(32, 9), declaredSize: 20 }]);
  assert.equal(expandZipEntry(zip, listZip(zip).entries[0]!, 1000).status, 'protected');
});

test('expandZipEntry leaves other methods unexpanded', () => {
  for (const method of [9, 12, 14, 93, 95]) {
    const zip = buildZip([{ name: 'a.bin', method, data: Buffer.alloc(32, 9), declaredSize: 64 }]);
    assert.equal(
      expandZipEntry(zip, listZip(zip).entries[0]!, 1000).status,
      'unexpanded',
      `${method}`,
    );
  }
});

test('expandZipEntry reports cut data as corrupted', () => {
  const text = Buffer.from('some text that deflates into more than a few bytes '.repeat(20));
  for (const method of [0, 8]) {
    const zip = buildZip([{ name: 'a.txt', method, content: text }]);
    const entry = listZip(zip).entries[0]!;
    const cut = zip.subarray(0, 30 + 5 + Math.floor(entry.compressedSize / 2));
    assert.equal(expandZipEntry(cut, entry, 10000).status, 'corrupted', `method ${method}`);
  }
});

test('expandZipEntry reports a missing local header', () => {
  const zip = buildZip([{ name: 'a.txt', content: eicar }]);
  const entry = { ...listZip(zip).entries[0]!, localHeaderOffset: 7 };
  assert.equal(expandZipEntry(zip, entry, 1000).status, 'corrupted');
});

test('peekZipEntry reads the start of a bomb cheaply', () => {
  const zip = buildZip([
    { name: 'zeros.bin', data: deflatedZeros(64 * MIB), declaredSize: 64 * MIB },
  ]);
  const head = peekZipEntry(zip, listZip(zip).entries[0]!);
  assert.ok(head.length > 0);
  assert.ok(head.length <= MIB);
});
