import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  clientChannelOptions,
  createLogger,
  defaultPolicy,
  insecureCredentials,
  MemoryBus,
  PolicyWatcher,
  startGrpcServer,
} from '@mailshield/common';
import { ConfigClient, ConfigService, type PolicyHistoryResponse } from '@mailshield/proto/config';
import { IntegrityClient, type StatusResponse } from '@mailshield/proto/integrity';
import type { Policy } from '@mailshield/proto/policy';
import { Registry } from 'prom-client';
import { FileAuditLog } from '../../audit/file-audit-log.js';
import { startControlPlane } from '../../index.js';
import { configService } from '../../grpc/config-service.js';
import { PolicyBroadcaster } from '../../grpc/policy-broadcaster.js';
import { createControlPlaneMetrics } from '../../metrics.js';
import { FilePolicyStore } from '../../policy/file-policy-store.js';
import { PgPolicyStore } from '../../policy/pg-policy-store.js';
import type { PolicyStore } from '../../policy/policy-store.js';
import {
  databaseUrlForTest,
  makeTempDir,
  silentLogger,
  testOptions,
  twoDatabaseSessions,
} from '../../testing/support.js';

type TestContext = { after(fn: () => Promise<void> | void): void };

/** Serves Config on a free port over `store`, with a file audit log in a temporary folder. */
async function serveConfig(t: TestContext, store: PolicyStore) {
  await store.open(defaultPolicy(['one.example']));
  const metrics = createControlPlaneMetrics(new Registry());
  const broadcaster = new PolicyBroadcaster(store, silentLogger, metrics);
  const audit = new FileAuditLog(join(await makeTempDir(t), 'audit.jsonl'));
  await audit.open();
  t.after(() => audit.close());
  const implementation = configService(store, broadcaster, silentLogger, metrics, audit);
  const server = await startGrpcServer(
    '127.0.0.1',
    0,
    [{ definition: ConfigService, implementation }],
    silentLogger,
  );
  t.after(() => server.stop());
  const client = new ConfigClient(
    `127.0.0.1:${server.port}`,
    insecureCredentials,
    clientChannelOptions,
  );
  t.after(() => client.close());
  return { client, audit };
}

function call<Req, Res>(
  client: ConfigClient,
  method: (req: Req, cb: (err: ServiceError | null, res: Res) => void) => unknown,
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    method.call(client, request, (err, response) =>
      err === null ? resolve(response) : reject(err),
    ),
  );
}

function nextPolicy(stream: NodeJS.EventEmitter): Promise<Policy> {
  return once(stream, 'data').then(([policy]) => policy as Policy);
}

function historyContract(name: string, makeStore: (t: TestContext) => Promise<PolicyStore>) {
  describe(`Config history and rollback on the ${name} store`, () => {
    test('rollback is stored, broadcast and audited', async (t) => {
      const { client, audit } = await serveConfig(t, await makeStore(t));
      const watchers = ['antivirus', 'antispam'].map((component) => {
        const stream = client.watch({ component });
        stream.on('error', () => undefined);
        t.after(() => stream.cancel());
        return stream;
      });
      await Promise.all(watchers.map(nextPolicy));

      const set = { policy: defaultPolicy(['two.example']), expectedVersion: 1, actor: 'alice' };
      const afterSet = watchers.map(nextPolicy);
      await call(client, client.set, set);
      await Promise.all(afterSet);

      const afterRollback = watchers.map(nextPolicy);
      const rollback = { toVersion: 1, expectedVersion: 2, actor: 'bob' };
      const stored: Policy = await call(client, client.rollback, rollback);
      assert.equal(stored.version, 3);
      assert.deepEqual(stored.relayDomains, ['one.example']);
      for (const received of await Promise.all(afterRollback)) {
        assert.equal(received.version, 3);
        assert.deepEqual(received.relayDomains, ['one.example']);
      }
      const [entry] = await audit.list({ limit: 1, target: '', actor: '' });
      assert.ok(entry !== undefined);
      assert.equal(entry.action, 'policy.rollback');
      assert.equal(entry.target, 'policy');
      assert.equal(entry.actor, 'bob');
      assert.match(entry.detail, /version 1\b.*version 3\b/);

      const history: PolicyHistoryResponse = await call(client, client.history, { limit: 0 });
      assert.deepEqual(
        history.entries.map((item) => [item.version, item.actor]),
        [
          [3, 'bob'],
          [2, 'alice'],
          [1, 'seed'],
        ],
      );
      assert.ok(history.entries.every((item) => item.storedAt instanceof Date));
      assert.match(history.entries[0]!.summary, /^after-queue; 1 relay domain; /);
      const limited: PolicyHistoryResponse = await call(client, client.history, { limit: 1 });
      assert.equal(limited.entries.length, 1);
    });

    test('rollback to an unknown version is NOT_FOUND', async (t) => {
      const { client, audit } = await serveConfig(t, await makeStore(t));
      const request = { toVersion: 42, expectedVersion: 0, actor: 'bob' };
      const err = await call(client, client.rollback, request).then(
        () => assert.fail('expected NOT_FOUND'),
        (error: ServiceError) => error,
      );
      assert.equal(err.code, GrpcStatus.NOT_FOUND);
      assert.match(err.details, /policy version 42 not found/);
      assert.deepEqual(err.metadata.get('mailshield-error-code'), ['CP_POLICY_VERSION_NOT_FOUND']);
      assert.deepEqual(await audit.list({ limit: 10, target: '', actor: '' }), []);
    });

    test('out-of-range requests are INVALID_ARGUMENT', async (t) => {
      const { client } = await serveConfig(t, await makeStore(t));
      const failures = [
        call(client, client.history, { limit: 5000 }),
        call(client, client.rollback, { toVersion: 0, expectedVersion: 0, actor: 'bob' }),
        call(client, client.reportApplied, { component: '', version: 2 }),
      ];
      for (const failure of failures) {
        const err = await failure.then(
          () => assert.fail('expected INVALID_ARGUMENT'),
          (error: ServiceError) => error,
        );
        assert.equal(err.code, GrpcStatus.INVALID_ARGUMENT);
        assert.deepEqual(err.metadata.get('mailshield-error-code'), ['CP_POLICY_REQUEST_INVALID']);
      }
    });

    test('rollback with a stale expected version is ABORTED', async (t) => {
      const { client } = await serveConfig(t, await makeStore(t));
      const set = { policy: defaultPolicy(['two.example']), expectedVersion: 0, actor: 'alice' };
      await call(client, client.set, set);
      const err = await call(client, client.rollback, {
        toVersion: 1,
        expectedVersion: 1,
        actor: 'bob',
      }).then(
        () => assert.fail('expected ABORTED'),
        (error: ServiceError) => error,
      );
      assert.equal(err.code, GrpcStatus.ABORTED);
    });
  });
}

historyContract('file', async (t) => new FilePolicyStore(join(await makeTempDir(t), 'policy')));

const databaseUrl = databaseUrlForTest();
if (databaseUrl !== undefined) {
  historyContract(
    'PostgreSQL',
    async (t) => new PgPolicyStore(twoDatabaseSessions(t, databaseUrl)[0]),
  );
}

test('Status shows the applied version and lagging', async (t) => {
  const component = await startGrpcServer('127.0.0.1', 0, [], silentLogger);
  t.after(() => component.stop());
  component.setHealth('SERVING');
  const options = testOptions(await makeTempDir(t), {
    components: [{ name: 'antivirus', address: { host: '127.0.0.1', port: component.port } }],
  });
  const service = await startControlPlane(options, {
    bus: new MemoryBus(),
    logger: silentLogger,
  });
  t.after(() => service.stop());
  const address = `127.0.0.1:${service.ports['grpc']}`;
  const integrity = new IntegrityClient(address, insecureCredentials, clientChannelOptions);
  t.after(() => integrity.close());
  const status = () =>
    new Promise<StatusResponse>((resolve, reject) =>
      integrity.status({}, (err, response) => (err === null ? resolve(response) : reject(err))),
    );
  const antivirus = async () => (await status()).components[0]!;

  const registry = new Registry();
  const watcher = new PolicyWatcher({
    controlPlane: { host: '127.0.0.1', port: service.ports['grpc']! },
    component: 'antivirus',
    logger: createLogger('watcher-test', 'silent'),
    registry,
  });
  await watcher.start();
  await waitUntil(async () => (await antivirus()).policyVersion === 1);
  assert.equal((await antivirus()).policyLagging, false);
  assert.match(await registry.metrics(), /mailshield_antivirus_policy_version 1/);

  watcher.stop();
  const client = new ConfigClient(address, insecureCredentials, clientChannelOptions);
  t.after(() => client.close());
  await call(client, client.set, { policy: defaultPolicy(), expectedVersion: 1, actor: 'test' });
  const lagging = await antivirus();
  assert.equal(lagging.policyVersion, 1);
  assert.equal(lagging.policyLagging, true);
  assert.equal((await status()).policyVersion, 2);
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
