import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineEndingCheck } from './line-ending-check.js';

function hasBareLineEnding(...chunks: string[]): boolean {
  const check = new LineEndingCheck();
  for (const chunk of chunks) check.update(Buffer.from(chunk, 'latin1'));
  return check.finish();
}

test('line ending check accepts CRLF split across chunks', () => {
  assert.equal(hasBareLineEnding('a\r\nb\r', '\nc\r\n'), false);
});

test('line ending check finds bare LF', () => {
  assert.equal(hasBareLineEnding('a\n.\r\n'), true);
  assert.equal(hasBareLineEnding('a\r\n', '\n'), true);
});

test('line ending check finds a dot line ended by a bare CR', () => {
  assert.equal(hasBareLineEnding('a\r', '.\r\n'), true);
  assert.equal(hasBareLineEnding('a\r\n.\r', 'b\r\n'), true);
  assert.equal(hasBareLineEnding('a\r\n.\r'), true);
});

test('line ending check accepts other bare CR', () => {
  assert.equal(hasBareLineEnding('a\r', 'b\r\n'), false);
  assert.equal(hasBareLineEnding('\r\r\r\nHELLO\r\n'), false);
  assert.equal(hasBareLineEnding('THANK YOU.\r\r\r\n'), false);
});
