import assert from 'node:assert/strict';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { InvalidArgumentError } from '@mailshield/common';
import { ErrorCodes, StoreCorruptError } from '../errors.js';
import { databaseUrlForTest, makeTempDir, openTestDatabase } from '../testing/support.js';
import { actorOrUnknown, maxActorLength, type AuditLog } from './audit-log.js';
import { FileAuditLog } from './file-audit-log.js';
import { PgAuditLog } from './pg-audit-log.js';

type Factory = (t: {
  after(fn: () => Promise<void>): void;
}) => Promise<{ log: AuditLog; reopen: () => AuditLog }>;

function auditLogContract(name: string, factory: Factory, skip: boolean): void {
  describe(`${name} audit log`, { skip }, () => {
    test('list returns newest first', async (t) => {
      const { log, reopen } = await factory(t);
      await log.open();
      const before = Date.now();

      for (let n = 1; n <= 3; n += 1)
        await log.record({
          actor: 'alice',
          action: 'backup.show',
          target: `m-${n}`,
          detail: `n=${n}`,
        });
      await log.close();

      const reopened = reopen();
      await reopened.open();
      t.after(() => reopened.close());
      const entries = await reopened.list({ limit: 0, target: '', actor: '' });

      assert.deepEqual(
        entries.map((entry) => [entry.actor, entry.action, entry.target, entry.detail]),
        [
          ['alice', 'backup.show', 'm-3', 'n=3'],
          ['alice', 'backup.show', 'm-2', 'n=2'],
          ['alice', 'backup.show', 'm-1', 'n=1'],
        ],
      );
      for (const entry of entries) {
        assert.ok(entry.at instanceof Date);
        assert.ok(entry.at.getTime() >= before - 5000, 'entry time is before the test');
        assert.ok(entry.at.getTime() <= Date.now() + 5000, 'entry time is in the future');
      }
    });

    test('list filters target and actor', async (t) => {
      const { log } = await factory(t);
      await log.open();
      t.after(() => log.close());
      await log.record({ actor: 'alice', action: 'backup.show', target: 'm-1', detail: '' });
      await log.record({ actor: 'bob', action: 'backup.delete', target: 'm-1', detail: '' });
      await log.record({ actor: 'bob', action: 'policy.set', target: 'policy', detail: 'v2' });

      const pairs = async (target: string, actor: string, limit = 0) =>
        (await log.list({ target, actor, limit })).map((entry) => `${entry.actor}:${entry.action}`);
      assert.deepEqual(await pairs('m-1', ''), ['bob:backup.delete', 'alice:backup.show']);
      assert.deepEqual(await pairs('', 'bob'), ['bob:policy.set', 'bob:backup.delete']);
      assert.deepEqual(await pairs('m-1', 'bob'), ['bob:backup.delete']);
      assert.deepEqual(await pairs('', '', 1), ['bob:policy.set']);
      assert.deepEqual(await pairs('missing', ''), []);
    });
  });
}

auditLogContract(
  'file',
  async (t) => {
    const path = join(await makeTempDir(t), 'audit', 'audit.jsonl');
    return { log: new FileAuditLog(path), reopen: () => new FileAuditLog(path) };
  },
  false,
);

const databaseUrl = databaseUrlForTest();
auditLogContract(
  'PostgreSQL',
  async (t) => {
    const db = openTestDatabase(t, databaseUrl!);
    return { log: new PgAuditLog(db), reopen: () => new PgAuditLog(db) };
  },
  databaseUrl === undefined,
);

test('file audit log skips a torn last line', async (t) => {
  const path = join(await makeTempDir(t), 'audit.jsonl');
  const log = new FileAuditLog(path);
  await log.open();
  await log.record({ actor: 'alice', action: 'backup.show', target: 'm-1', detail: '' });
  await log.close();
  await appendFile(path, '{"at":"2024-01-01T00:00:00Z","actor":"cut');

  const reopened = new FileAuditLog(path);
  await reopened.open();
  t.after(() => reopened.close());
  assert.deepEqual(
    (await reopened.list({ limit: 0, target: '', actor: '' })).map((entry) => entry.target),
    ['m-1'],
  );

  await reopened.record({ actor: 'bob', action: 'backup.delete', target: 'm-2', detail: '' });
  assert.deepEqual(
    (await reopened.list({ limit: 0, target: '', actor: '' })).map((entry) => entry.target),
    ['m-2', 'm-1'],
  );

  const lines = (await readFile(path, 'utf8')).split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[2], '');
});

test('file audit log reports a corrupt line', async (t) => {
  const path = join(await makeTempDir(t), 'audit.jsonl');
  const log = new FileAuditLog(path);
  await log.open();
  t.after(() => log.close());
  await appendFile(path, 'not json\n');
  await assert.rejects(log.list({ limit: 0, target: '', actor: '' }), (err: unknown) => {
    assert.ok(err instanceof StoreCorruptError);
    assert.match(err.message, /line 1 cannot be read/);
    return true;
  });
});

test('actorOrUnknown names an empty actor unknown', () => {
  assert.equal(actorOrUnknown(''), 'unknown');
  assert.equal(actorOrUnknown('alice@host'), 'alice@host');
  assert.equal(actorOrUnknown('Zoë Müller@host'), 'Zoë Müller@host');
});

test('actorOrUnknown rejects control characters', () => {
  const forged = [
    'evil\n2026-01-01T00:00:00Z  root@vm  backup.delete  x',
    'e\u001b[2Jx',
    'tab\there',
    'del\u007f',
    'c1\u009b31m',
    'bidi\u202Egnp.exe',
    'zero\u200bwidth',
    'line\u2028separator',
  ];
  for (const actor of forged) {
    assert.throws(
      () => actorOrUnknown(actor),
      (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError, JSON.stringify(actor));
        assert.equal(err.code, ErrorCodes.actorInvalid);
        assert.match(err.fieldErrors[0]!, /^actor: contains control or format characters/);
        return true;
      },
    );
  }
});

test('actorOrUnknown rejects a too long actor', () => {
  assert.equal(actorOrUnknown('a'.repeat(maxActorLength)).length, maxActorLength);
  assert.throws(
    () => actorOrUnknown('a'.repeat(maxActorLength + 1)),
    (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError);
      assert.deepEqual(err.fieldErrors, [
        `actor: ${maxActorLength + 1} characters, at most ${maxActorLength}`,
      ]);
      return true;
    },
  );
});
