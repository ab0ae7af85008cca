import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { createControlPlaneMetrics, type ControlPlaneMetrics } from '../metrics.js';
import {
  databaseUrlForTest,
  makeOutcome,
  makeRecord,
  makeTempDir,
  silentLogger,
  testBackupKey,
  twoDatabaseSessions,
  openTestDatabase,
} from '../testing/support.js';
import type { BackupStore, RetentionLimits } from './backup-store.js';
import { FileBackupStore } from './file-backup-store.js';
import { PgBackupStore } from './pg-backup-store.js';
import { BackupRetention, retentionLimits } from './retention.js';

type Factory = (t: { after(fn: () => Promise<void>): void }) => Promise<BackupStore>;

async function counterValue(
  metric: ControlPlaneMetrics['backupPurged'],
  reason: string,
): Promise<number> {
  const sample = (await metric.get()).values.find((value) => value.labels['reason'] === reason);
  return sample?.value ?? 0;
}

async function gaugeValue(metric: ControlPlaneMetrics['backupMessages']): Promise<number> {
  return (await metric.get()).values[0]?.value ?? 0;
}

/** Stores `count` copies a few milliseconds apart, oldest first, and returns their sizes. */
async function fill(store: BackupStore, count: number, prefix = 'r'): Promise<number[]> {
  const sizes: number[] = [];
  for (let n = 0; n < count; n += 1) {
    const record = makeRecord(`${prefix}-${n}`, `Message ${'x'.repeat(n * 10)}`);
    await store.store(record, makeOutcome('spam', 'hold'));
    sizes.push(record.raw.length);
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
  return sizes;
}

function retentionOf(store: BackupStore, limits: RetentionLimits) {
  const metrics = createControlPlaneMetrics(new Registry());
  const retention = new BackupRetention({
    store,
    limits,
    intervalSeconds: 3600,
    metrics,
    logger: silentLogger,
  });
  return { retention, metrics };
}

function retentionContract(name: string, factory: Factory, skip: boolean): void {
  describe(`${name} backup retention`, { skip }, () => {
    test('age purge is counted', async (t) => {
      const store = await factory(t);
      const sizes = await fill(store, 3);
      const { retention, metrics } = retentionOf(store, {
        maxAgeMs: 60_000,
        maxTotalBytes: 0,
        maxCount: 0,
      });
      assert.deepEqual(await retention.runOnce(), []);
      assert.equal(await gaugeValue(metrics.backupMessages), 3);
      const purged = await retention.runOnce(new Date(Date.now() + 120_000));
      assert.equal(purged.length, 3);
      assert.equal(await counterValue(metrics.backupPurged, 'age'), 3);
      assert.equal(
        await counterValue(metrics.backupPurgedBytes, 'age'),
        sizes.reduce((sum, size) => sum + size, 0),
      );
      assert.equal(await gaugeValue(metrics.backupMessages), 0);
      assert.equal(await gaugeValue(metrics.backupBytes), 0);
    });

    test('count purge is counted', async (t) => {
      const store = await factory(t);
      const sizes = await fill(store, 5);
      const { retention, metrics } = retentionOf(store, {
        maxAgeMs: 0,
        maxTotalBytes: 0,
        maxCount: 2,
      });
      const purged = await retention.runOnce();
      assert.deepEqual(
        purged.map((backup) => backup.id),
        ['r-0', 'r-1', 'r-2'],
      );
      assert.equal(await counterValue(metrics.backupPurged, 'count'), 3);
      assert.equal(
        await counterValue(metrics.backupPurgedBytes, 'count'),
        sizes[0]! + sizes[1]! + sizes[2]!,
      );
      assert.equal(await counterValue(metrics.backupPurged, 'age'), 0);
      assert.equal(await gaugeValue(metrics.backupMessages), 2);
      assert.equal(await gaugeValue(metrics.backupBytes), sizes[3]! + sizes[4]!);
    });

    test('size purge is counted', async (t) => {
      const store = await factory(t);
      const sizes = await fill(store, 4);
      const { retention, metrics } = retentionOf(store, {
        maxAgeMs: 0,
        maxTotalBytes: sizes[3]! + sizes[2]!,
        maxCount: 0,
      });
      const purged = await retention.runOnce();
      assert.deepEqual(
        purged.map((backup) => [backup.id, backup.reason]),
        [
          ['r-0', 'size'],
          ['r-1', 'size'],
        ],
      );
      assert.equal(await counterValue(metrics.backupPurged, 'size'), 2);
      assert.equal(await counterValue(metrics.backupPurgedBytes, 'size'), sizes[0]! + sizes[1]!);
      assert.equal(await gaugeValue(metrics.backupBytes), sizes[2]! + sizes[3]!);
    });

    test('timer purges without a call', async (t) => {
      const store = await factory(t);
      await fill(store, 3);
      const metrics = createControlPlaneMetrics(new Registry());
      const retention = new BackupRetention({
        store,
        limits: { maxAgeMs: 0, maxTotalBytes: 0, maxCount: 1 },
        intervalSeconds: 0.05,
        metrics,
        logger: silentLogger,
      });
      retention.start();
      t.after(() => retention.stop());
      await fill(store, 2, 'late');
      const deadline = Date.now() + 15_000;
      while ((await store.stats()).count > 1 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal((await store.stats()).count, 1);
      assert.equal(await counterValue(metrics.backupPurged, 'count'), 4);
    });
  });
}

retentionContract(
  'file',
  async (t) => {
    const store = new FileBackupStore(join(await makeTempDir(t), 'backups'), testBackupKey);
    await store.open();
    return store;
  },
  false,
);

const databaseUrl = databaseUrlForTest();
retentionContract(
  'PostgreSQL',
  async (t) => {
    const db = openTestDatabase(t, databaseUrl!);
    const store = new PgBackupStore(db, testBackupKey);
    await store.open();
    return store;
  },
  databaseUrl === undefined,
);

test('two replicas purge each copy once', { skip: databaseUrl === undefined }, async (t) => {
  const [first, second] = twoDatabaseSessions(t, databaseUrl!).map(
    (db) => new PgBackupStore(db, testBackupKey),
  );
  await first!.open();
  await second!.open();
  await fill(first!, 20);
  const limits = { maxAgeMs: 0, maxTotalBytes: 0, maxCount: 5 };
  const runs = await Promise.all([
    first!.purge(limits, new Date()),
    second!.purge(limits, new Date()),
    first!.purge(limits, new Date()),
  ]);
  const ids = runs.flat().map((backup) => backup.id);
  assert.equal(ids.length, 15);
  assert.equal(new Set(ids).size, 15);
  assert.deepEqual((await second!.stats()).count, 5);
});

test('retentionLimits converts days', () => {
  assert.deepEqual(
    retentionLimits({ maxAgeDays: 1.5, maxTotalBytes: 1000, maxCount: 7, intervalSeconds: 60 }),
    { maxAgeMs: 129_600_000, maxTotalBytes: 1000, maxCount: 7 },
  );
});
