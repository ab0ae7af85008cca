import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '@mailshield/common';
import { readControlPlaneOptions } from './config.js';

test('backup retention defaults', () => {
  assert.deepEqual(readControlPlaneOptions({}).backupRetention, {
    maxAgeDays: 30,
    maxTotalBytes: 10 * 1024 ** 3,
    maxCount: 1_000_000,
    intervalSeconds: 300,
  });
});

test('backup retention from the environment', () => {
  const options = readControlPlaneOptions({
    MAILSHIELD_BACKUP_MAX_AGE_DAYS: '0.5',
    MAILSHIELD_BACKUP_MAX_TOTAL_BYTES: '0',
    MAILSHIELD_BACKUP_MAX_COUNT: '250',
    MAILSHIELD_BACKUP_RETENTION_INTERVAL_SECONDS: '60',
  });
  assert.deepEqual(options.backupRetention, {
    maxAgeDays: 0.5,
    maxTotalBytes: 0,
    maxCount: 250,
    intervalSeconds: 60,
  });
});

test('backup retention rejects bad values', () => {
  assert.throws(
    () =>
      readControlPlaneOptions({
        MAILSHIELD_BACKUP_MAX_AGE_DAYS: '-1',
        MAILSHIELD_BACKUP_MAX_TOTAL_BYTES: '10GB',
        MAILSHIELD_BACKUP_MAX_COUNT: '1.5',
        MAILSHIELD_BACKUP_RETENTION_INTERVAL_SECONDS: '0',
      }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, [
        'MAILSHIELD_BACKUP_MAX_AGE_DAYS=-1 is invalid: expected a number of at least 0',
        `MAILSHIELD_BACKUP_MAX_TOTAL_BYTES=10GB is invalid: expected an integer from 0 to ${Number.MAX_SAFE_INTEGER}`,
        `MAILSHIELD_BACKUP_MAX_COUNT=1.5 is invalid: expected an integer from 0 to ${Number.MAX_SAFE_INTEGER}`,
        'MAILSHIELD_BACKUP_RETENTION_INTERVAL_SECONDS=0 is invalid: expected a number of at least 1',
      ]);
      return true;
    },
  );
});
