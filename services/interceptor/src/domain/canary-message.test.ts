import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { CanaryKind } from '@mailshield/proto/canary';
import { buildCanaryMessage } from './canary-message.js';

/** SHA-256 of the 68-byte EICAR test file, so that this file does not contain it. */
const EICAR_SHA256 = '275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f';

function attachmentOf(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  const body = /Content-Transfer-Encoding: base64\r\n\r\n([A-Za-z0-9+/=\r\n]+?)\r\n--/.exec(text);
  assert.ok(body !== null, 'no base64 attachment');
  return Buffer.from(body[1]!.replace(/\r\n/g, ''), 'base64');
}

test('eicar canary attaches the test file', () => {
  const raw = buildCanaryMessage(CanaryKind.CANARY_KIND_EICAR, 'id-1', new Date());
  const sha256 = createHash('sha256').update(attachmentOf(raw)).digest('hex');
  assert.equal(sha256, EICAR_SHA256);
  assert.match(raw.toString('latin1'), /^Message-ID: <id-1@mailshield\.invalid>\r$/m);
  for (const line of raw.toString('latin1').split('\r\n')) assert.ok(line.length <= 78, line);
});

test('gtube canary carries the string', () => {
  const raw = buildCanaryMessage(CanaryKind.CANARY_KIND_GTUBE, 'id-2', new Date());
  assert.match(
    raw.toString('latin1'),
    /\r\nXJS\*C4JDBQADN1\.NSBN3\*2IDNEN\*GTUBE-STANDARD-ANTI-UBE/,
  );
});

test('unspecified canary kind throws', () => {
  assert.throws(
    () => buildCanaryMessage(CanaryKind.CANARY_KIND_UNSPECIFIED, 'id-3', new Date()),
    RangeError,
  );
});

test('compiled builder holds no whole EICAR', async () => {
  const compiled = await readFile(new URL('./canary-message.js', import.meta.url), 'latin1');
  assert.ok(compiled.includes('EICAR-STANDARD-ANTIVIRUS-TEST-FILE'));
  assert.ok(!compiled.includes('}$EICAR-STANDARD'), 'the EICAR pieces are joined in the source');
});
