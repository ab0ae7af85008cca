import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { test } from 'node:test';
import { BackupUnreadableError, ErrorCodes } from '../errors.js';
import { BackupKey, isSealed, openBody, sealBody } from './body-codec.js';

const key = new BackupKey(randomBytes(32));
const text = Buffer.from('Subject: Lunch on Friday\r\n\r\n' + 'See you at noon.\r\n'.repeat(200));

function isUnreadable(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof BackupUnreadableError);
    assert.equal(err.code, ErrorCodes.backupUnreadable);
    assert.match(err.message, pattern);
    return true;
  };
}

test('sealed body opens to same bytes', () => {
  for (const plain of [text, Buffer.alloc(0), randomBytes(70_000)]) {
    const sealed = sealBody(key, plain);
    assert.ok(isSealed(sealed));
    assert.deepEqual(openBody(key, sealed, 'body'), plain);
  }
});

test('sealed mail text shrinks and hides', () => {
  const sealed = sealBody(key, text);
  assert.ok(sealed.length < text.length / 4);
  assert.equal(sealed.includes('noon'), false);
});

test('two seals of one body differ', () => {
  assert.notDeepEqual(sealBody(key, text), sealBody(key, text));
});

test('flipped byte fails authentication', () => {
  const sealed = sealBody(key, text);
  for (const at of [5 + 4, 30, sealed.length - 1]) {
    const changed = Buffer.from(sealed);
    changed[at] = changed[at]! ^ 0x01;
    assert.throws(() => openBody(key, changed, 'body'), isUnreadable(/authentication/));
  }
});

test('wrong key names both key ids', () => {
  const other = new BackupKey(randomBytes(32));
  assert.throws(
    () => openBody(other, sealBody(key, text), 'backup "m-1" record'),
    isUnreadable(
      new RegExp(
        `backup "m-1" record was encrypted with backup key ${key.idHex}, .* ${other.idHex}`,
      ),
    ),
  );
});

test('truncated body or unknown version fails', () => {
  const sealed = sealBody(key, text);
  assert.throws(() => openBody(key, sealed.subarray(0, 30), 'body'), isUnreadable(/truncated/));
  const future = Buffer.from(sealed);
  future[4] = 9;
  assert.throws(() => openBody(key, future, 'body'), isUnreadable(/format version 9/));
  assert.throws(() => openBody(key, text, 'body'), isUnreadable(/not a sealed/));
});

test('key prints only its id', () => {
  const secret = key.secret().toString('hex');
  assert.equal(JSON.stringify({ key }).includes(secret), false);
  assert.equal(inspect(key).includes(secret), false);
  assert.match(inspect(key), new RegExp(key.idHex));
  assert.throws(() => new BackupKey(randomBytes(16)), RangeError);
});
