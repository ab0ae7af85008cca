import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '@mailshield/common';
import { ErrorCodes } from '../errors.js';
import {
  databaseUrlForTest,
  makeOutcome,
  makeRecord,
  makeTempDir,
  testBackupKey,
  openTestDatabase,
} from '../testing/support.js';
import { backupQuery, type BackupQuery, type BackupStore } from './backup-store.js';
import { FileBackupStore } from './file-backup-store.js';
import { PgBackupStore } from './pg-backup-store.js';

const pause = () => new Promise((resolve) => setTimeout(resolve, 3));

/**
 * Stores v-0 to v-4, a few milliseconds apart, with varied senders, recipients and subjects.
 * Returns the time just before each store.
 */
async function storeVaried(store: BackupStore): Promise<Date[]> {
  const cases = [
    ['alice@example.org', 'bob@example.com', 'Lunch', 'spam'],
    ['Mallory@evil.example', 'bob@example.com', 'Payment', 'infected'],
    ['alice@example.org', 'dave@example.com', 'Your Invoice', 'spam'],
    ['mallory@evil.example', 'carol@example.com', 'Invoice overdue', 'spam'],
    ['eve@example.net', 'Dave.Smith@example.com', 'Sale: 50%_off', 'spam'],
  ] as const;
  const times: Date[] = [];
  for (const [index, [sender, recipient, subject, status]] of cases.entries()) {
    const record = makeRecord(`v-${index}`, subject);
    record.envelope = { ...record.envelope!, mailFrom: sender, rcptTo: [recipient] };
    await pause();
    times.push(new Date());
    await pause();
    await store.store(record, makeOutcome(status, 'hold'));
  }
  return times;
}

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

    test('summary decodes an encoded subject', async (t) => {
      const { store } = await factory(t);
      await store.open();
      await store.store(
        makeRecord('m-9', '=?UTF-8?Q?Caf=C3=A9_au_lait?='),
        makeOutcome('spam', 'hold'),
      );
      const backup = await store.get('m-9');
      assert.equal(backup.summary.subject, 'Café au lait');
      const page = await store.list(backupQuery({ subject: 'CAFÉ' }));
      assert.deepEqual(
        page.entries.map((entry) => entry.id),
        ['m-9'],
      );
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
        const page = await store.list(backupQuery({ limit: 3, pageToken: token }));
        assert.ok(page.entries.length <= 3);
        seen.push(...page.entries.map((entry) => entry.id));
        token = page.nextPageToken;
      } while (token !== '');
      assert.deepEqual(seen, ['m-6', 'm-5', 'm-4', 'm-3', 'm-2', 'm-1', 'm-0']);
      const spam = await store.list(backupQuery({ status: 'spam' }));
      assert.deepEqual(
        spam.entries.map((entry) => entry.id),
        ['m-5', 'm-3', 'm-1'],
      );
      assert.equal(spam.nextPageToken, '');
    });

    test('list rejects a forged page token', async (t) => {
      const { store } = await factory(t);
      await store.open();
      await assert.rejects(
        store.list(backupQuery({ limit: 10, pageToken: 'not-a-token' })),
        (err: unknown) => {
          assert.ok(err instanceof InvalidArgumentError);
          assert.equal(err.code, ErrorCodes.pageTokenInvalid);
          return true;
        },
      );
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

    test('list filters sender, recipient and subject', async (t) => {
      const { store } = await factory(t);
      await store.open();
      await storeVaried(store);
      const ids = async (filters: Partial<BackupQuery>) =>
        (await store.list(backupQuery(filters))).entries.map((entry) => entry.id);
      assert.deepEqual(await ids({ sender: 'MALLORY@' }), ['v-3', 'v-1']);
      assert.deepEqual(await ids({ recipient: 'Dave' }), ['v-4', 'v-2']);
      assert.deepEqual(await ids({ subject: 'invoice' }), ['v-3', 'v-2']);
      assert.deepEqual(await ids({ subject: '50%_off' }), ['v-4']);
      assert.deepEqual(await ids({ sender: 'mallory', subject: 'INVOICE' }), ['v-3']);
      assert.deepEqual(await ids({ sender: 'mallory', status: 'infected' }), ['v-1']);
      assert.deepEqual(await ids({ recipient: 'nobody' }), []);
    });

    test('list filters a time range', async (t) => {
      const { store } = await factory(t);
      await store.open();
      const times = await storeVaried(store);
      const ids = async (filters: Partial<BackupQuery>) =>
        (await store.list(backupQuery(filters))).entries.map((entry) => entry.id);
      assert.deepEqual(await ids({ storedAfter: times[2] }), ['v-4', 'v-3', 'v-2']);
      assert.deepEqual(await ids({ storedBefore: times[2] }), ['v-1', 'v-0']);
      assert.deepEqual(await ids({ storedAfter: times[1], storedBefore: times[3] }), [
        'v-2',
        'v-1',
      ]);
      await assert.rejects(
        store.list(backupQuery({ storedAfter: times[3], storedBefore: times[1] })),
        (err: unknown) => {
          assert.ok(err instanceof InvalidArgumentError);
          assert.deepEqual(err.fieldErrors, ['stored_after: must be earlier than stored_before']);
          return true;
        },
      );
    });

    test('list pages through filtered entries', async (t) => {
      const { store } = await factory(t);
      await store.open();
      for (let n = 0; n < 9; n += 1) {
        const record = makeRecord(`p-${n}`, n % 3 === 0 ? 'Other' : `Report ${n}`);
        await store.store(record, makeOutcome('spam', 'hold'));
        await pause();
      }
      const seen: string[] = [];
      let token = '';
      do {
        const page = await store.list(
          backupQuery({ subject: 'report', limit: 2, pageToken: token }),
        );
        assert.ok(page.entries.length <= 2);
        seen.push(...page.entries.map((entry) => entry.id));
        token = page.nextPageToken;
      } while (token !== '');
      assert.deepEqual(seen, ['p-8', 'p-7', 'p-5', 'p-4', 'p-2', 'p-1']);
    });

    test('list rejects a token of other filters', async (t) => {
      const { store } = await factory(t);
      await store.open();
      await storeVaried(store);
      const first = await store.list(backupQuery({ limit: 1, sender: 'mallory' }));
      assert.notEqual(first.nextPageToken, '');
      await assert.rejects(
        store.list(backupQuery({ limit: 1, sender: 'alice', pageToken: first.nextPageToken })),
        (err: unknown) => {
          assert.ok(err instanceof InvalidArgumentError);
          assert.equal(err.code, ErrorCodes.pageTokenInvalid);
          assert.match(err.message, /other filters/);
          return true;
        },
      );
    });

    test('delete removes a copy and its releases', async (t) => {
      const { store, reopen } = await factory(t);
      await store.open();
      const record = makeRecord('d-1');
      await store.store(record, makeOutcome('spam', 'hold'));
      await store.store(makeRecord('d-2'), makeOutcome('spam', 'hold'));
      await store.markReleased('d-1', new Date(), 'alice');
      const deleted = await store.delete('d-1');
      assert.equal(deleted.id, 'd-1');
      assert.equal(deleted.sizeBytes, record.raw.length);
      await assert.rejects(store.get('d-1'), NotFoundError);
      await assert.rejects(store.delete('d-1'), (err: unknown) => {
        assert.ok(err instanceof NotFoundError);
        assert.equal(err.code, ErrorCodes.backupNotFound);
        return true;
      });
      const reopened = reopen();
      await reopened.open();
      assert.deepEqual(
        (await reopened.list(backupQuery())).entries.map((entry) => entry.id),
        ['d-2'],
      );
      assert.deepEqual(await reopened.stats(), { count: 1, bytes: makeRecord('d-2').raw.length });
    });

    test('purge removes copies over age', async (t) => {
      const { store } = await factory(t);
      await store.open();
      await storeVaried(store);
      const now = new Date(Date.now() + 60_000);
      const limits = { maxAgeMs: 30_000, maxTotalBytes: 0, maxCount: 0 };
      assert.deepEqual(await store.purge({ ...limits, maxAgeMs: 120_000 }, now), []);
      const purged = await store.purge(limits, now);
      assert.deepEqual(
        purged.map((backup) => [backup.id, backup.reason]),
        ['v-0', 'v-1', 'v-2', 'v-3', 'v-4'].map((id) => [id, 'age']),
      );
      assert.deepEqual(await store.stats(), { count: 0, bytes: 0 });
    });

    test('purge keeps the newest by count', async (t) => {
      const { store } = await factory(t);
      await store.open();
      await storeVaried(store);
      const purged = await store.purge({ maxAgeMs: 0, maxTotalBytes: 0, maxCount: 3 }, new Date());
      assert.deepEqual(
        purged.map((backup) => [backup.id, backup.reason]),
        [
          ['v-0', 'count'],
          ['v-1', 'count'],
        ],
      );
      assert.deepEqual(
        (await store.list(backupQuery())).entries.map((entry) => entry.id),
        ['v-4', 'v-3', 'v-2'],
      );
    });

    test('purge keeps the newest within size', async (t) => {
      const { store } = await factory(t);
      await store.open();
      await storeVaried(store);
      const sizes = (await store.list(backupQuery())).entries.map((entry) => entry.sizeBytes);
      // Room for the three newest copies and a little more, but not for four.
      const maxTotalBytes = sizes[0]! + sizes[1]! + sizes[2]! + 1;
      const purged = await store.purge({ maxAgeMs: 0, maxTotalBytes, maxCount: 0 }, new Date());
      assert.deepEqual(
        purged.map((backup) => [backup.id, backup.reason]),
        [
          ['v-0', 'size'],
          ['v-1', 'size'],
        ],
      );
      assert.equal(
        purged.reduce((sum, backup) => sum + backup.sizeBytes, 0),
        sizes[3]! + sizes[4]!,
      );
      assert.deepEqual(await store.stats(), { count: 3, bytes: maxTotalBytes - 1 });
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
    const db = openTestDatabase(t, databaseUrl!);
    return {
      store: new PgBackupStore(db, testBackupKey),
      reopen: () => new PgBackupStore(db, testBackupKey),
    };
  },
  databaseUrl === undefined,
);
