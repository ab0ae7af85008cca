import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClamdError } from './clamd-error.js';
import {
  chunkHeader,
  encodeCommand,
  parseCtime,
  parsePong,
  parseScanReply,
  parseVersion,
  splitReply,
} from './clamd-protocol.js';

function replyError(run: () => unknown): ClamdError {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof ClamdError, String(err));
    return err;
  }
  assert.fail('expected a ClamdError');
}

test('encodeCommand adds the z prefix and NUL', () => {
  assert.deepEqual(encodeCommand('PING'), Buffer.from('zPING\0'));
  assert.throws(() => encodeCommand('SCAN /a\0b'), RangeError);
});

test('chunkHeader writes a big-endian length', () => {
  assert.deepEqual(chunkHeader(65536), Buffer.from([0, 1, 0, 0]));
  assert.deepEqual(chunkHeader(0xffff_ffff), Buffer.from([255, 255, 255, 255]));
  assert.throws(() => chunkHeader(2 ** 32), RangeError);
  assert.throws(() => chunkHeader(-1), RangeError);
});

test('splitReply keeps only terminated lines', () => {
  assert.deepEqual(splitReply(Buffer.from('stream: OK\0')), {
    lines: ['stream: OK'],
    isComplete: true,
  });
  assert.deepEqual(splitReply(Buffer.from('a FOUND\0b FOUND\0')).lines, ['a FOUND', 'b FOUND']);
  const cut = splitReply(Buffer.from('stream: Eicar-Test-Sig'));
  assert.equal(cut.isComplete, false);
  assert.deepEqual(cut.lines, []);
  assert.equal(splitReply(Buffer.alloc(0)).isComplete, false);
});

test('parseScanReply reads a clean stream', () => {
  assert.deepEqual(parseScanReply(['stream: OK'], 'stream'), []);
});

test('parseScanReply reads a signature name', () => {
  const names = parseScanReply(['stream: Eicar-Test-Signature.UNOFFICIAL FOUND'], 'stream');
  assert.deepEqual(names, ['Eicar-Test-Signature.UNOFFICIAL']);
});

test('parseScanReply reads every name of an all-match reply', () => {
  const lines = ['stream: Win.Test.A FOUND', 'stream: Heuristics.Encrypted.Zip FOUND'];
  assert.deepEqual(parseScanReply(lines, 'stream'), ['Win.Test.A', 'Heuristics.Encrypted.Zip']);
});

test('parseScanReply reports the stream size limit', () => {
  const error = replyError(() => parseScanReply(['INSTREAM size limit exceeded. ERROR'], 'stream'));
  assert.equal(error.kind, 'sizeLimit');
  assert.equal(error.code, 'AV_LIMITS_EXCEEDED');
  assert.equal(error.isTransient, false);
});

test('parseScanReply reports a stream ERROR line', () => {
  const error = replyError(() =>
    parseScanReply(["stream: Can't create temporary file ERROR"], 'stream'),
  );
  assert.equal(error.kind, 'scanError');
  assert.equal(error.code, 'AV_CLAMD_BAD_REPLY');
  assert.equal(error.isTransient, true);
});

test('parseScanReply rejects garbage', () => {
  for (const line of ['UNKNOWN COMMAND', 'HTTP/1.1 400 Bad Request', 'stream: maybe', 'OK']) {
    const error = replyError(() => parseScanReply([line], 'stream'));
    assert.equal(error.kind, 'badReply', line);
  }
});

test('parseScanReply rejects a FOUND without a name', () => {
  assert.equal(replyError(() => parseScanReply(['stream:  FOUND'], 'stream')).kind, 'badReply');
});

test('parseScanReply reports an empty reply as closed', () => {
  assert.equal(replyError(() => parseScanReply([], 'stream')).kind, 'closed');
});

test('parseScanReply keeps a name next to an error line', () => {
  const lines = ['stream: Win.Test.A FOUND', 'stream: CL_EMEM ERROR'];
  assert.deepEqual(parseScanReply(lines, 'stream'), ['Win.Test.A']);
});

test('parseScanReply reads a file reply', () => {
  assert.deepEqual(parseScanReply(['/tmp/store/a b: c: OK'], 'file'), []);
  assert.deepEqual(parseScanReply(['/tmp/store/x: Eicar-Test-Signature FOUND'], 'file'), [
    'Eicar-Test-Signature',
  ]);
});

test('parseScanReply reports unreadable files', () => {
  const lines = [
    '/tmp/none: File path check failure: No such file or directory. ERROR',
    '/tmp/none: lstat() failed: No such file or directory. ERROR',
    '/tmp/secret: Access denied. ERROR',
    '/tmp/skip: Excluded',
  ];
  for (const line of lines) {
    const error = replyError(() => parseScanReply([line], 'file'));
    assert.equal(error.kind, 'fileError', line);
    assert.equal(error.isTransient, false, line);
  }
});

test('parseVersion reads a version without database', () => {
  assert.deepEqual(parseVersion(['ClamAV 1.4.6']), {
    engineVersion: '1.4.6',
    databaseVersion: undefined,
    databaseTime: undefined,
  });
});

test('parseVersion reads the database version and time', () => {
  const version = parseVersion(['ClamAV 1.4.6/27496/Thu Dec  3 09:33:02 2026']);
  assert.equal(version.engineVersion, '1.4.6');
  assert.equal(version.databaseVersion, 27496);
  assert.equal(version.databaseTime?.toISOString(), '2026-12-03T09:33:02.000Z');
});

test('parseVersion keeps the version of an unreadable date', () => {
  const version = parseVersion(['ClamAV 1.0.7/26000/yesterday']);
  assert.equal(version.databaseVersion, 26000);
  assert.equal(version.databaseTime, undefined);
});

test('parseVersion rejects other replies', () => {
  for (const lines of [['PONG'], ['ClamAV'], [], ['ClamAV 1.4.6', 'ClamAV 1.4.6']]) {
    assert.equal(replyError(() => parseVersion(lines)).kind, 'badReply', lines.join('|'));
  }
});

test('parseCtime reads two-digit days', () => {
  assert.equal(parseCtime('Mon Nov 17 23:05:59 2025')?.toISOString(), '2025-11-17T23:05:59.000Z');
  assert.equal(parseCtime('Mon Foo 17 23:05:59 2025'), undefined);
});

test('parsePong accepts only PONG', () => {
  parsePong(['PONG']);
  assert.equal(replyError(() => parsePong(['PANG'])).kind, 'badReply');
});
