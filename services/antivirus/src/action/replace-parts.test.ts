import { test } from 'node:test';
import assert from 'node:assert/strict';
import { walkMessage } from '../mime/walker.js';
import { replaceParts } from './replace-parts.js';

const raw = Buffer.from(
  [
    'Subject: two parts',
    'Content-Type: multipart/mixed; boundary="zz"',
    '',
    'preamble',
    '--zz',
    'Content-Type: text/plain',
    '',
    'keep me',
    '--zz',
    'Content-Type: application/octet-stream; name="bad.exe"',
    'Content-Transfer-Encoding: base64',
    '',
    'QUJD',
    '--zz--',
    'epilogue',
    '',
  ].join('\r\n'),
  'latin1',
);

test('replaceParts keeps every byte outside the part', () => {
  const tree = walkMessage(raw);
  const bad = tree.leaves.find((leaf) => leaf.fileName === 'bad.exe')!;
  const range = bad.replaceableRange!;
  const out = replaceParts(raw, [
    { range, name: 'bad.exe', reasons: ['it contained Eicar-Test-Signature'] },
  ]);

  assert.deepEqual(out.subarray(0, range.start), raw.subarray(0, range.start));
  const tailLength = raw.length - range.end;
  assert.deepEqual(out.subarray(out.length - tailLength), raw.subarray(range.end));

  const reparsed = walkMessage(out);
  const paths = reparsed.leaves.map((leaf) => leaf.path);
  assert.deepEqual(paths, ['1', '2', 'preamble', 'epilogue']);
  assert.equal(reparsed.leaves[0]!.content.toString(), 'keep me');
  assert.equal(reparsed.leaves[1]!.contentType, 'text/plain');
  assert.equal(
    reparsed.leaves[1]!.content.toString(),
    'This attachment (bad.exe) was removed by mailshield because it contained Eicar-Test-Signature.',
  );
});

test('replaceParts drops a range nested in another', () => {
  const out = replaceParts(Buffer.from('0123456789'), [
    { range: { start: 2, end: 8 }, name: 'outer', reasons: ['it contained A'] },
    { range: { start: 3, end: 5 }, name: 'inner', reasons: ['it contained B'] },
  ]);
  const text = out.toString();
  assert.ok(text.startsWith('01Content-Type'));
  assert.ok(text.endsWith('because it contained A, and it contained B.89'));
});

test('replaceParts strips line breaks from names', () => {
  const out = replaceParts(Buffer.from('ab'), [
    { range: { start: 1, end: 1 }, name: 'x\r\nBcc: y', reasons: ['V'] },
  ]);
  assert.ok(!out.toString().includes('\r\nBcc'));
});
