import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '@mailshield/common';
import { ErrorCodes } from '../errors.js';
import { openDatabase } from '../storage/postgres.js';
import {
  databaseUrlForTest,
  makeOutcome,
  makeRecord,
  makeTempDir,
  testBackupKey,
  uniqueSchema,
} from '../testing/support.js';
import type { BackupStore } from './backup-store.js';
import { FileBackupStore } from './file-backup-store.js';
import { PgBackupStore } from './pg-backup-store.js';

type Factory = (t: {
  after(fn: () => Promise<void>): void;
}) => Promise<{ store: BackupStore; reopen: () => BackupStore }>;

function backupStoreContract(name: string, factory: Factory, skip: boolean): void {
  describe(`${name} backup store`, { skip }, () => {
    test('store is idempotent by message id', async (t) => {
      const { store } = await factory(t);
      await store.open();
      const first = await store.store(
        makeRecord('m-1', 'First'),
        makeOutcome('infected', 'delete_message'),
      );
      const second = await store.store(makeRecord('m-1', 'Second'), makeOutcome('spam', 'hold'));
      assert.equal(first, true);
      assert.equal(second, false);
      const backup = await store.get('m-1');
      assert.equal(backup.summary.subject, 'First');
      assert.equal(backup.summary.status, 'infected');
      assert.equal(backup.outcome.action, 'delete_message');
    });

    test('get returns the original bytes and summary', async (t) => {
      const { store, reopen } = await factory(t);
      await store.open();
      const record = makeRecord('m-2', 'Invoice\r\n folded');
      await store.store(record, makeOutcome('spam', 'hold'));
      const reopened = reopen();
      await reopened.open();
      const backup = await reopened.get('m-2');
      assert.deepEqual(Buffer.from(backup.record.raw), record.raw);
      assert.equal(backup.record.envelope?.mailFrom, 'alice@example.org');
      assert.equal(backup.record.outcomes.length, 1);
      assert.equal(backup.summary.subject, 'Invoice folded');
      assert.deepEqual(backup.summary.rcptTo, ['bob@example.com', 'carol@example.com']);
      assert.equal(backup.summary.sizeBytes, record.raw.length);
      assert.equal(backup.summary.action, 'hold');
      assert.equal(backup.summary.releasedAt, undefined);
    });

    test('get of an unknown id is NOT_FOUND', async (t) => {
      const { store } = await factory(t);
      await store.open();
      await assert.rejects(store.get('missing'), (err: unknown) => {
        assert.ok(err instanceof NotFoundError);
        assert.equal(err.code, ErrorCodes.backupNotFound);
        return true;
      });
    });

    test('list pages newest first and filters status', async (t) => {
      const { store } = await factory(t);
      await store.open();
      for (let n = 0; n < 7; n += 1) {
        const status = n % 2 === 0 ? 'infected' : 'spam';
        await store.store(makeRecord(`m-${n}`), makeOutcome(status, 'delete_message'));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const seen: string[] = [];
      let token = '';
      do {
        const page = await store.list(3, token, '');
        assert.ok(page.entries.length <= 3);
        seen.push(...page.entries.map((entry) => entry.id));
        token = page.nextPageToken;
      } while (token !== '');
      assert.deepEqual(seen, ['m-6', 'm-5', 'm-4', 'm-3', 'm-2', 'm-1', 'm-0']);
      const spam = await store.list(0, '', 'spam');
      assert.deepEqual(
        spam.entries.map((entry) => entry.id),
        ['m-5', 'm-3', 'm-1'],
      );
      assert.equal(spam.nextPageToken, '');
    });

    test('list rejects a forged page token', async (t) => {
      const { store } = await factory(t);
      await store.open();
      await assert.rejects(store.list(10, 'not-a-token', ''), (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError);
        assert.equal(err.code, ErrorCodes.pageTokenInvalid);
        return true;
      });
    });

    test('markReleased records every release', async (t) => {
      const { store, reopen } = await factory(t);
      await store.open();
      await store.store(makeRecord('m-r'), makeOutcome('spam', 'hold'));
      await store.markReleased('m-r', new Date('2024-06-01T00:00:00Z'), 'alice');
      await store.markReleased('m-r', new Date('2024-06-02T00:00:00Z'), 'bob', [
        'dave@example.com',
      ]);
      const reopened = reopen();
      await reopened.open();
      const backup = await reopened.get('m-r');
      assert.equal(backup.summary.releasedAt?.toISOString(), '2024-06-02T00:00:00.000Z');
      await assert.rejects(store.markReleased('missing', new Date(), 'alice'), NotFoundError);
    });

    test('store rejects a record without id', async (t) => {
      const { store } = await factory(t);
      await store.open();
      await assert.rejects(
        store.store(makeRecord(''), makeOutcome('spam', 'hold')),
        (err: unknown) => {
          assert.ok(err instanceof InvalidArgumentError);
          assert.deepEqual(err.fieldErrors, ['record.id: missing']);
          return true;
        },
      );
    });
  });
}

backupStoreContract(
  'file',
  async (t) => {
    const dir = join(await makeTempDir(t), 'backups');
    return {
      store: new FileBackupStore(dir, testBackupKey),
      reopen: () => new FileBackupStore(dir, testBackupKey),
    };
  },
  false,
);

const databaseUrl = databaseUrlForTest();
backupStoreContract(
  'PostgreSQL',
  async (t) => {
    const url = databaseUrl!;
    const { schema, drop } = uniqueSchema(url);
    const db = openDatabase(url, schema);
    t.after(async () => {
      await db.pool.end();
      await drop();
    });
    return {
      store: new PgBackupStore(db, testBackupKey),
      reopen: () => new PgBackupStore(db, testBackupKey),
    };
  },
  databaseUrl === undefined,
);
