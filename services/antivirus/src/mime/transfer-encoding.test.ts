import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { decodeBase64 } from './transfer-encoding.js';

function wrapped(data: Buffer, newline: string): Buffer {
  const text = data.toString('base64').replace(/.{76}/g, `$&${newline}`);
  return Buffer.from(`${text}${newline}`, 'latin1');
}

test('base64 decodes wrapped clean data', () => {
  for (const size of [0, 1, 2, 3, 57, 1000, 4099]) {
    const data = randomBytes(size);
    assert.deepEqual(decodeBase64(wrapped(data, '\r\n')), data, `${size} bytes, CRLF`);
    assert.deepEqual(decodeBase64(wrapped(data, '\n')), data, `${size} bytes, LF`);
  }
});

test('base64 decodes past an early pad', () => {
  const first = Buffer.from('abcd');
  const hidden = Buffer.from('hidden payload');
  const text = `${first.toString('base64')}\r\n${hidden.toString('base64')}\r\n`;
  const decoded = decodeBase64(Buffer.from(text, 'latin1'));
  assert.ok(decoded.includes(Buffer.from('hidden pay')), decoded.toString('latin1'));
});

test('base64 skips junk between characters', () => {
  const data = Buffer.from('EICAR-like test content');
  const junk = data.toString('base64').replace(/(.{4})/g, '$1 *\t');
  assert.deepEqual(decodeBase64(Buffer.from(junk, 'latin1')), data);
});

test('base64 drops a dangling character', () => {
  assert.deepEqual(decodeBase64(Buffer.from('QUJD\r\nR', 'latin1')), Buffer.from('ABC'));
});
