import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BackupSummary } from '@mailshield/proto/backup';
import { MessageRecord, StageOutcome } from '@mailshield/proto/message';
import { BackupUnreadableError, ErrorCodes } from '../errors.js';
import { openDatabase, type Database } from '../storage/postgres.js';
import {
  databaseUrlForTest,
  makeOutcome,
  makeRecord,
  makeTempDir,
  testBackupKey,
  uniqueSchema,
} from '../testing/support.js';
import { backupQuery, summarize, type BackupStore } from './backup-store.js';
import { BackupKey } from './body-codec.js';
import { FileBackupStore } from './file-backup-store.js';
import { PgBackupStore } from './pg-backup-store.js';

// Built from two halves so this file itself does not carry the test signature.
const eicar = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-' + 'STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';
const secretLine = 'Meet at the old mill at seven, bring the ledger';

/** Builds a record whose body and a header contain text that no summary column carries. */
function secretRecord(id: string): MessageRecord {
  const record = makeRecord(id, 'Weekly notes');
  const raw = Buffer.from(
    `From: alice@example.org\r\nSubject: Weekly notes\r\nX-Private-Note: ${secretLine}\r\n\r\n` +
      `${secretLine}\r\n${eicar}\r\n`,
  );
  return { ...record, raw, envelope: { ...record.envelope!, helo: 'private-helo.example.org' } };
}

function assertNoMailText(stored: Buffer): void {
  for (const text of [eicar, secretLine, 'private-helo.example.org', 'Eicar-Test-Signature'])
    assert.equal(stored.includes(text), false, `stored bytes contain ${JSON.stringify(text)}`);
}

interface Harness {
  store: (key?: BackupKey) => BackupStore;
  /** Every stored byte of one backup, as a stolen disk or database dump would contain it. */
  storedBytes: (id: string) => Promise<Buffer>;
  /** Writes a backup the way the stores did before sealing. */
  writeLegacy: (record: MessageRecord, outcome: StageOutcome) => Promise<void>;
  /** Flips one byte of the sealed record. */
  tamper: (id: string) => Promise<void>;
}

function atRestContract(name: string, harness: (t: Ctx) => Promise<Harness>, skip: boolean) {
  describe(`${name} backup store at rest`, { skip }, () => {
    test('stored bytes hide message, get restores it', async (t) => {
      const h = await harness(t);
      const record = secretRecord('m-secret');
      const outcome = makeOutcome('infected', 'delete_message');
      const store = h.store();
      await store.open();
      await store.store(record, outcome);
      assertNoMailText(await h.storedBytes('m-secret'));
      const reopened = h.store();
      await reopened.open();
      const backup = await reopened.get('m-secret');
      assert.deepEqual(MessageRecord.toJSON(backup.record), MessageRecord.toJSON(record));
      assert.deepEqual(StageOutcome.toJSON(backup.outcome), StageOutcome.toJSON(outcome));
      assert.equal(backup.summary.subject, 'Weekly notes');
    });

    test('unsealed legacy backup still reads', async (t) => {
      const h = await harness(t);
      const record = secretRecord('m-old');
      await h.writeLegacy(record, makeOutcome('spam', 'hold'));
      // The old layout shows the text, which proves the search above would notice it.
      assert.ok((await h.storedBytes('m-old')).includes(secretLine));
      const store = h.store();
      await store.open();
      const backup = await store.get('m-old');
      assert.deepEqual(MessageRecord.toJSON(backup.record), MessageRecord.toJSON(record));
      assert.equal(backup.outcome.action, 'hold');
      assert.deepEqual(
        (await store.list(backupQuery())).entries.map((entry) => entry.id),
        ['m-old'],
      );
    });

    test('tampered body or wrong key fails', async (t) => {
      const h = await harness(t);
      const store = h.store();
      await store.open();
      await store.store(secretRecord('m-t'), makeOutcome('spam', 'hold'));
      const other = h.store(new BackupKey(randomBytes(32)));
      await other.open();
      await assert.rejects(other.get('m-t'), unreadable(/Configure the key it was written with/));
      await h.tamper('m-t');
      await assert.rejects(store.get('m-t'), unreadable(/failed authentication/));
    });
  });
}

type Ctx = { after(fn: () => Promise<void>): void };

function unreadable(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof BackupUnreadableError);
    assert.equal(err.code, ErrorCodes.backupUnreadable);
    assert.match(err.message, pattern);
    return true;
  };
}

function flipLastByte(bytes: Buffer): Buffer {
  const changed = Buffer.from(bytes);
  changed[changed.length - 1] = changed[changed.length - 1]! ^ 0x01;
  return changed;
}

atRestContract(
  'file',
  async (t) => {
    const dir = join(await makeTempDir(t), 'backups');
    const folderOf = (id: string) => join(dir, Buffer.from(id).toString('base64url'));
    return {
      store: (key = testBackupKey) => new FileBackupStore(dir, key),
      storedBytes: async (id) => {
        const names = await readdir(folderOf(id));
        return Buffer.concat(await Promise.all(names.map((n) => readFile(join(folderOf(id), n)))));
      },
      writeLegacy: async (record, outcome) => {
        const folder = folderOf(record.id);
        await mkdir(folder, { recursive: true });
        const summary = summarize(record, outcome, new Date());
        await writeFile(join(folder, 'message.eml'), record.raw);
        await writeFile(join(folder, 'record.bin'), plainRecord(record));
        await writeFile(join(folder, 'outcome.bin'), StageOutcome.encode(outcome).finish());
        await writeFile(
          join(folder, 'summary.json'),
          JSON.stringify(BackupSummary.toJSON(summary)),
        );
      },
      tamper: async (id) => {
        const path = join(folderOf(id), 'record.bin');
        await writeFile(path, flipLastByte(await readFile(path)));
      },
    };
  },
  false,
);

const databaseUrl = databaseUrlForTest();
atRestContract(
  'PostgreSQL',
  async (t) => {
    const { schema, drop } = uniqueSchema(databaseUrl!);
    const db = openDatabase(databaseUrl!, schema);
    t.after(async () => {
      await db.pool.end();
      await drop();
    });
    return {
      store: (key = testBackupKey) => new PgBackupStore(db, key),
      storedBytes: async (id) => {
        const result = await db.pool.query<{ row: string }>(
          `SELECT b::text AS row FROM ${db.schema}.backups b WHERE id = $1`,
          [id],
        );
        return Buffer.from(decodeByteaText(result.rows[0]!.row), 'latin1');
      },
      writeLegacy: (record, outcome) => insertLegacyRow(db, record, outcome),
      tamper: async (id) => {
        const result = await db.pool.query<{ record: Buffer }>(
          `SELECT record FROM ${db.schema}.backups WHERE id = $1`,
          [id],
        );
        await db.pool.query(`UPDATE ${db.schema}.backups SET record = $2 WHERE id = $1`, [
          id,
          flipLastByte(result.rows[0]!.record),
        ]);
      },
    };
  },
  databaseUrl === undefined,
);

function plainRecord(record: MessageRecord): Uint8Array {
  return MessageRecord.encode({ ...record, raw: Buffer.alloc(0) }).finish();
}

/** Decodes the \\x hex runs that bytea becomes in a row's text, so a search finds the bytes. */
function decodeByteaText(text: string): string {
  return text.replace(/\\\\x([0-9a-f]*)/g, (_, hex: string) =>
    Buffer.from(hex, 'hex').toString('latin1'),
  );
}

async function insertLegacyRow(
  db: Database,
  record: MessageRecord,
  outcome: StageOutcome,
): Promise<void> {
  await new PgBackupStore(db, testBackupKey).open();
  const summary = summarize(record, outcome, new Date());
  await db.pool.query(
    `INSERT INTO ${db.schema}.backups
       (id, mail_from, rcpt_to, subject, status, action, size_bytes, stored_at, raw, record, outcome)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      summary.id,
      summary.mailFrom,
      summary.rcptTo,
      summary.subject,
      summary.status,
      summary.action,
      summary.sizeBytes,
      summary.storedAt,
      Buffer.from(record.raw),
      Buffer.from(plainRecord(record)),
      Buffer.from(StageOutcome.encode(outcome).finish()),
    ],
  );
}
