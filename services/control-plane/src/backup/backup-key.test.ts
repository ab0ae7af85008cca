import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { test } from 'node:test';
import { ConfigError } from '@mailshield/common';
import { makeTempDir, silentLogger, testBackupKey } from '../testing/support.js';
import { generatedKeyPath, parseBackupKey, resolveBackupKey } from './backup-key.js';

test('key parses from hex and base64', () => {
  const bytes = randomBytes(32);
  for (const text of [
    bytes.toString('hex'),
    `${bytes.toString('base64')}\n`,
    bytes.toString('base64url'),
  ]) {
    const key = parseBackupKey(text);
    assert.ok(typeof key !== 'string');
    assert.deepEqual(key.secret(), bytes);
  }
});

test('wrong length or alphabet is invalid', () => {
  assert.match(String(parseBackupKey(randomBytes(16).toString('base64'))), /holds 16 bytes/);
  assert.match(String(parseBackupKey('not a key!')), /expected 32 bytes as base64 or hex/);
  assert.match(String(parseBackupKey('')), /expected 32 bytes/);
});

test('file store creates private key once', async (t) => {
  const stateDir = await makeTempDir(t);
  const options = { backupKey: undefined, databaseUrl: undefined, stateDir };
  const first = await resolveBackupKey(options, silentLogger);
  const second = await resolveBackupKey(options, silentLogger);
  assert.equal(second.idHex, first.idHex);
  const path = generatedKeyPath(stateDir);
  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.equal(Buffer.from((await readFile(path, 'utf8')).trim(), 'base64').length, 32);
});

test('configured key wins over generated', async (t) => {
  const stateDir = await makeTempDir(t);
  const key = await resolveBackupKey(
    { backupKey: testBackupKey, databaseUrl: undefined, stateDir },
    silentLogger,
  );
  assert.equal(key, testBackupKey);
  await assert.rejects(stat(generatedKeyPath(stateDir)), { code: 'ENOENT' });
});

test('PostgreSQL without key fails to start', async (t) => {
  const stateDir = await makeTempDir(t);
  await assert.rejects(
    resolveBackupKey(
      { backupKey: undefined, databaseUrl: 'postgres://127.0.0.1/x', stateDir },
      silentLogger,
    ),
    ConfigError,
  );
});
