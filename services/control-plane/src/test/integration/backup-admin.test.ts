import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { clientChannelOptions, insecureCredentials, MemoryBus } from '@mailshield/common';
import { ListBackupsRequest } from '@mailshield/proto/backup';
import { Label, LearningClient } from '@mailshield/proto/learning';
import type { Counter } from 'prom-client';
import { ControlPlaneClients } from '../../cli/client.js';
import type { ControlPlaneOptions } from '../../config.js';
import { startControlPlane } from '../../index.js';
import {
  databaseUrlForTest,
  makeOutcome,
  makeRecord,
  makeTempDir,
  silentLogger,
  testBackupKey,
  testOptions,
  uniqueSchema,
} from '../../testing/support.js';

type TestContext = { after(fn: () => Promise<void>): void };
type OptionsFactory = (t: TestContext, stateDir: string) => Partial<ControlPlaneOptions>;

async function startWith(t: TestContext, overrides: OptionsFactory) {
  const stateDir = await makeTempDir(t);
  const service = await startControlPlane(testOptions(stateDir, overrides(t, stateDir)), {
    bus: new MemoryBus(),
    logger: silentLogger,
  });
  t.after(() => service.stop());
  const address = `127.0.0.1:${service.ports['grpc']}`;
  const clients = new ControlPlaneClients(address, 10);
  t.after(async () => clients.close());
  return { service, clients, address };
}

async function counterTotal(registry: { getSingleMetric(name: string): unknown }, name: string) {
  const metric = registry.getSingleMetric(name) as Counter | undefined;
  assert.ok(metric !== undefined, `metric ${name} is not registered`);
  return (await metric.get()).values.reduce((sum, value) => sum + value.value, 0);
}

function adminContract(name: string, overrides: OptionsFactory, skip: boolean): void {
  describe(`Backup admin actions with ${name}`, { skip }, () => {
    test('redelivered Store keeps one copy', async (t) => {
      const { service, clients } = await startWith(t, overrides);
      const request = {
        record: makeRecord('dup-1'),
        outcome: makeOutcome('infected', 'delete_message'),
      };
      const first = await clients.call(clients.backup, clients.backup.store, request);
      const second = await clients.call(clients.backup, clients.backup.store, {
        record: makeRecord('dup-1', 'Changed on redelivery'),
        outcome: makeOutcome('spam', 'hold'),
      });
      assert.equal(first.created, true);
      assert.equal(second.created, false);
      const page = await clients.call(
        clients.backup,
        clients.backup.list,
        ListBackupsRequest.fromPartial({}),
      );
      assert.deepEqual(
        page.entries.map((entry) => [entry.id, entry.subject, entry.status]),
        [['dup-1', 'Quarterly report', 'infected']],
      );
      assert.equal(
        await counterTotal(service.registry, 'mailshield_control_plane_backup_stored_total'),
        1,
      );
    });

    test('each admin action is audited', async (t) => {
      const { service, clients, address } = await startWith(t, overrides);
      for (const id of ['a-1', 'a-2'])
        await clients.call(clients.backup, clients.backup.store, {
          record: makeRecord(id, 'Audit me'),
          outcome: makeOutcome('spam', 'hold'),
        });
      const view = await clients.call(clients.backup, clients.backup.show, {
        id: 'a-1',
        actor: 'ann',
      });
      assert.equal(view.preview, 'Hello.');
      assert.equal(view.outcomes.length, 2);
      assert.deepEqual(view.headers[1], { name: 'Subject', value: 'Audit me' });
      const download = await clients.call(clients.backup, clients.backup.download, {
        id: 'a-1',
        actor: 'dan',
      });
      assert.deepEqual(Buffer.from(download.raw), makeRecord('a-1', 'Audit me').raw);
      await clients.call(clients.backup, clients.backup.get, { id: 'a-1', actor: 'gil' });
      await clients.call(clients.backup, clients.backup.release, {
        id: 'a-1',
        recipients: [],
        actor: 'rae',
        notSpam: false,
      });
      const deleted = await clients.call(clients.backup, clients.backup.delete, {
        id: 'a-2',
        actor: 'del',
      });
      assert.equal(deleted.sizeBytes, makeRecord('a-2', 'Audit me').raw.length);
      await assert.rejects(
        clients.call(clients.backup, clients.backup.delete, { id: 'a-2', actor: 'del' }),
        (err: ServiceError) => err.code === GrpcStatus.NOT_FOUND,
      );
      const learning = new LearningClient(address, insecureCredentials, clientChannelOptions);
      t.after(async () => learning.close());
      const learn = (actor: string) =>
        new Promise<void>((resolve, reject) =>
          learning.learn(
            { messageId: 'l-1', label: Label.LABEL_SPAM, tokens: ['cheap'], actor },
            (err) => (err === null ? resolve() : reject(err)),
          ),
        );
      await learn('');
      await learn('tia');

      const audit = await clients.call(clients.audit, clients.audit.list, {
        target: '',
        actor: '',
        limit: 0,
      });
      assert.deepEqual(
        audit.entries.map((entry) => [entry.actor, entry.action, entry.target]),
        [
          ['tia', 'learning.learn', 'l-1'],
          ['del', 'backup.delete', 'a-2'],
          ['rae', 'backup.release', 'a-1'],
          ['gil', 'backup.get', 'a-1'],
          ['dan', 'backup.download', 'a-1'],
          ['ann', 'backup.show', 'a-1'],
        ],
      );
      for (const entry of audit.entries) assert.ok(entry.at instanceof Date);
      const forMessage = await clients.call(clients.audit, clients.audit.list, {
        target: 'a-1',
        actor: 'dan',
        limit: 0,
      });
      assert.deepEqual(
        forMessage.entries.map((entry) => entry.action),
        ['backup.download'],
      );
      assert.equal(
        await counterTotal(service.registry, 'mailshield_control_plane_backup_deleted_total'),
        1,
      );
    });
  });
}

adminContract('files', () => ({}), false);

const databaseUrl = databaseUrlForTest();
adminContract(
  'PostgreSQL',
  (t) => {
    const { schema, drop } = uniqueSchema(databaseUrl!);
    t.after(drop);
    return { databaseUrl: databaseUrl!, databaseSchema: schema, backupKey: testBackupKey };
  },
  databaseUrl === undefined,
);
