import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '@mailshield/common';
import { readControlPlaneOptions } from './config.js';
import { makeTempDir } from './testing/support.js';

const databaseUrl = 'postgres://mailshield@127.0.0.1:5432/mailshield';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    readControlPlaneOptions(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  return [];
}

test('backup key from variable or file', async (t) => {
  const bytes = randomBytes(32);
  const path = join(await makeTempDir(t), 'backup-key');
  await writeFile(path, `${bytes.toString('hex')}\n`);
  const inline = readControlPlaneOptions({ MAILSHIELD_BACKUP_KEY: bytes.toString('base64') });
  const fromFile = readControlPlaneOptions({
    MAILSHIELD_BACKUP_KEY_FILE: path,
    MAILSHIELD_DATABASE_URL: databaseUrl,
  });
  assert.deepEqual(inline.backupKey?.secret(), bytes);
  assert.deepEqual(fromFile.backupKey?.secret(), bytes);
  assert.equal(readControlPlaneOptions({}).backupKey, undefined);
});

test('bad backup key setting is listed', async (t) => {
  const dir = await makeTempDir(t);
  const short = join(dir, 'short-key');
  await writeFile(short, randomBytes(31).toString('base64'));
  assert.deepEqual(problemsOf({ MAILSHIELD_BACKUP_KEY: randomBytes(16).toString('base64') }), [
    'MAILSHIELD_BACKUP_KEY is invalid: holds 16 bytes, expected 32 (create one with: openssl rand -base64 32)',
  ]);
  assert.match(
    problemsOf({ MAILSHIELD_BACKUP_KEY_FILE: short })[0]!,
    /short-key is invalid: holds 31/,
  );
  assert.match(
    problemsOf({ MAILSHIELD_BACKUP_KEY_FILE: join(dir, 'missing') })[0]!,
    /MAILSHIELD_BACKUP_KEY_FILE=.*missing cannot be read/,
  );
  assert.deepEqual(problemsOf({ MAILSHIELD_BACKUP_KEY: 'x', MAILSHIELD_BACKUP_KEY_FILE: short }), [
    'MAILSHIELD_BACKUP_KEY_FILE and MAILSHIELD_BACKUP_KEY are both set: set one',
  ]);
});

test('PostgreSQL needs a configured backup key', () => {
  const problems = problemsOf({ MAILSHIELD_DATABASE_URL: databaseUrl });
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /MAILSHIELD_BACKUP_KEY_FILE or MAILSHIELD_BACKUP_KEY is required/);
});
