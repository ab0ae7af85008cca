import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { deflatedZeros, EICAR } from '../test/helpers.js';
import { expandGzip, peekGzip, readGzipHeader } from './gzip.js';

const eicar = Buffer.from(EICAR, 'latin1');
const MIB = 1024 * 1024;

/** Builds a gzip file with an FNAME field around raw deflate data. */
function namedGzip(name: string, deflated: Buffer, crc: number, size: number): Buffer {
  const header = Buffer.from([0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3]);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc, 0);
  trailer.writeUInt32LE(size % 2 ** 32, 4);
  return Buffer.concat([header, Buffer.from(`${name}\0`, 'latin1'), deflated, trailer]);
}

test('readGzipHeader reads FNAME and ISIZE', () => {
  const gzip = namedGzip('eicar.com', gzipSync(eicar).subarray(10, -8), 0, 68);
  const header = readGzipHeader(gzip);
  assert.equal(header?.fileName, 'eicar.com');
  assert.equal(header?.dataOffset, 20);
  assert.equal(header?.declaredSize, 68);
});

test('readGzipHeader rejects other data', () => {
  assert.equal(readGzipHeader(Buffer.from('not a gzip file at all')), undefined);
  assert.equal(
    readGzipHeader(Buffer.from([0x1f, 0x8b, 8, 0x08, 0, 0, 0, 0, 0, 3, 0x41])),
    undefined,
  );
});

test('expandGzip expands a gzip file', () => {
  const output = expandGzip(gzipSync(eicar), 1000);
  assert.equal(output.status, 'complete');
  if (output.status === 'complete') assert.deepEqual(output.content, eicar);
});

test('expandGzip expands concatenated members', () => {
  const output = expandGzip(Buffer.concat([gzipSync('one '), gzipSync('two')]), 1000);
  assert.equal(output.status, 'complete');
  if (output.status === 'complete') assert.equal(output.content.toString(), 'one two');
});

test('expandGzip accepts padding after the member', () => {
  const output = expandGzip(Buffer.concat([gzipSync(eicar), Buffer.alloc(512)]), 1000);
  assert.equal(output.status, 'complete');
});

test('expandGzip stops a bomb at the limit', () => {
  const gzip = namedGzip('zeros.bin', deflatedZeros(300 * MIB), 0, 10);
  const started = performance.now();
  const output = expandGzip(gzip, MIB);
  const elapsed = performance.now() - started;
  assert.equal(output.status, 'over-limit');
  assert.ok(elapsed < 1000, `took ${elapsed} ms`);
});

test('expandGzip reports a cut file as corrupted', () => {
  const gzip = gzipSync(Buffer.from('some text to compress, long enough '.repeat(50)));
  assert.equal(expandGzip(gzip.subarray(0, gzip.length - 20), 10000).status, 'corrupted');
});

test('expandGzip reports a CRC mismatch as corrupted', () => {
  const gzip = Buffer.from(gzipSync(eicar));
  gzip.writeUInt32LE(0xdeadbeef, gzip.length - 8);
  assert.equal(expandGzip(gzip, 1000).status, 'corrupted');
});

test('peekGzip reads the start of the content', () => {
  const head = peekGzip(gzipSync(Buffer.concat([Buffer.from('MZ'), Buffer.alloc(10000)])));
  assert.equal(head.toString('latin1', 0, 2), 'MZ');
});
