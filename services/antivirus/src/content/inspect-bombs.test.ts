import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, deflateRawSync } from 'node:zlib';
import { buildZip, deflatedZeros, zerosCrc32 } from '../test/helpers.js';
import { inspectObject } from './inspect.js';
import type { Inspection } from './types.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** Generous bound for slow CI machines; the report prints the time each bomb took. */
const FAST_MS = 3000;

function timed(run: () => Inspection): { inspection: Inspection; ms: number } {
  const started = performance.now();
  const inspection = run();
  return { inspection, ms: Math.round(performance.now() - started) };
}

function reasons(inspection: Inspection): string[] {
  return inspection.limitBreaches.map((breach) => breach.reason);
}

/**
 * A 42.zip-style bomb: a zip of 16 zips of 16 zips, each of those holding 16 members of
 * `memberSize` zeros. With `isLying` the declared sizes below the top level are 1000 bytes
 * (a lie at the top level would only make those members fail their size check).
 */
function nestedBomb(memberSize: number, isLying: boolean): Buffer {
  const declared = (size: number): number => (isLying ? 1000 : size);
  const zeros = deflatedZeros(memberSize);
  const sixteen = (spec: (index: number) => Parameters<typeof buildZip>[0][0]): Buffer =>
    buildZip(Array.from({ length: 16 }, (_, index) => spec(index)));
  const crc = zerosCrc32(memberSize);
  const level1 = sixteen((i) => ({
    name: `${i}.bin`,
    data: zeros,
    crc,
    declaredSize: declared(memberSize),
  }));
  const level2 = sixteen((i) => ({
    name: `${i}.zip`,
    content: level1,
    declaredSize: declared(level1.length),
  }));
  const packed2 = deflateRawSync(level2, { level: 9 });
  return sixteen((i) => ({
    name: `${i}.zip`,
    data: packed2,
    crc: crc32(level2),
    declaredSize: level2.length,
  }));
}

/** A ratio limit low enough that the bombs below reach it before the member size limit. */
const ratioLimit = { maxCompressionRatio: 200 };

test('single-member bomb with its true size breaches at once', (t) => {
  const size = 300 * MIB;
  const zip = buildZip([
    { name: 'zeros.bin', data: deflatedZeros(size), crc: zerosCrc32(size), declaredSize: size },
  ]);
  const { inspection, ms } = timed(() => inspectObject(zip, 'bomb.zip'));
  t.diagnostic(`${zip.length} bytes declaring ${size}: ${ms} ms`);
  assert.deepEqual(reasons(inspection), ['member-too-large']);
  assert.equal(inspection.entries[0]!.status, 'over-limit');
  assert.ok(ms < FAST_MS, `took ${ms} ms`);
});

test('single-member bomb with a false size stops expanding', (t) => {
  const size = 300 * MIB;
  const zip = buildZip([
    { name: 'zeros.bin', data: deflatedZeros(size), crc: zerosCrc32(size), declaredSize: 1000 },
  ]);
  const { inspection, ms } = timed(() => inspectObject(zip, 'bomb.zip', ratioLimit));
  t.diagnostic(`${zip.length} bytes declaring 1000, expanding to ${size}: ${ms} ms`);
  assert.deepEqual(reasons(inspection), ['compression-ratio']);
  assert.equal(inspection.entries[0]!.status, 'over-limit');
  assert.equal(inspection.entries[0]!.type.id, 'unknown');
  assert.ok(ms < FAST_MS, `took ${ms} ms`);
});

test('10 GiB bomb with a false size stops expanding', (t) => {
  const zip = buildZip([
    { name: 'zeros.bin', data: deflatedZeros(10 * GIB), crc: 0, declaredSize: 1000 },
  ]);
  const { inspection, ms } = timed(() => inspectObject(zip, 'bomb.zip'));
  t.diagnostic(`${zip.length} bytes expanding to 10 GiB: ${ms} ms`);
  assert.deepEqual(reasons(inspection), ['member-too-large']);
  assert.ok(ms < FAST_MS, `took ${ms} ms`);
});

test('nested bomb with true sizes breaches without expanding', (t) => {
  const zip = nestedBomb(256 * MIB, false);
  const { inspection, ms } = timed(() => inspectObject(zip, '42.zip', ratioLimit));
  t.diagnostic(`${zip.length} bytes expanding to ${16 ** 3 / 4} GiB: ${ms} ms`);
  assert.ok(reasons(inspection).includes('compression-ratio'));
  assert.ok(ms < FAST_MS, `took ${ms} ms`);
});

test('nested bomb with false sizes stays within the budget', (t) => {
  const zip = nestedBomb(256 * MIB, true);
  const { inspection, ms } = timed(() => inspectObject(zip, '42.zip', ratioLimit));
  t.diagnostic(`${zip.length} bytes expanding to ${16 ** 3 / 4} GiB: ${ms} ms`);
  assert.ok(reasons(inspection).includes('compression-ratio'));
  assert.ok(reasons(inspection).includes('expansion-too-large'));
  assert.ok(inspection.entries.some((entry) => entry.status === 'skipped'));
  assert.ok(ms < FAST_MS, `took ${ms} ms`);
});

test('many small members stay within the budget', () => {
  const member = deflatedZeros(MIB);
  const zip = buildZip(
    Array.from({ length: 400 }, (_, index) => ({
      name: `${index}.bin`,
      data: member,
      crc: zerosCrc32(MIB),
      declaredSize: MIB,
    })),
  );
  const inspection = inspectObject(zip, 'wide.zip', { maxExpandedBytes: 100 * MIB });
  const inspected = inspection.entries.filter((entry) => entry.status === 'inspected').length;
  assert.equal(inspected, 100);
  assert.deepEqual(reasons(inspection), ['expansion-too-large']);
  assert.equal(inspection.limitBreaches[0]!.count, 300);
});
