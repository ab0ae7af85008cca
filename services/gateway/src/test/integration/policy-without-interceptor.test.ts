import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { createLogger, defaultPolicy, MemoryBus, type RunningService } from '@mailshield/common';
import { readControlPlaneOptions, startControlPlane } from '@mailshield/control-plane';
import { readInterceptorOptions, startInterceptor } from '@mailshield/interceptor';
import { ConfigClient, type PolicyHistoryResponse } from '@mailshield/proto/config';
import {
  IntegrityClient,
  type ComponentStatus,
  type StatusResponse,
} from '@mailshield/proto/integrity';
import type { Policy } from '@mailshield/proto/policy';
import { uniqueSchema } from '@mailshield/control-plane/dist/testing/support.js';

const logger = createLogger('policy-without-interceptor-test', 'silent');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function call<T>(method: (done: (err: ServiceError | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    method((err, value) => (err === null ? resolve(value) : reject(err))),
  );
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const databaseUrl = process.env['MAILSHIELD_DATABASE_URL'] ?? '';
const stores = databaseUrl === '' ? ['file'] : ['file', 'PostgreSQL'];

for (const store of stores) {
  test(`control plane takes policy while the interceptor is down (${store} store)`, async (t) => {
    const stateDir = await mkdtemp(join(tmpdir(), 'mailshield-policy-down-'));
    t.after(() => rm(stateDir, { recursive: true, force: true }));
    const { schema, drop } = uniqueSchema(databaseUrl);
    if (store === 'PostgreSQL') t.after(drop);

    const interceptorPort = await freePort();
    const controlPlane = await startControlPlane(
      {
        ...readControlPlaneOptions({
          MAILSHIELD_DATABASE_URL: store === 'PostgreSQL' ? databaseUrl : '',
          MAILSHIELD_DATABASE_SCHEMA: schema,
          MAILSHIELD_COMPONENTS: `interceptor=127.0.0.1:${interceptorPort}`,
          MAILSHIELD_HEALTH_INTERVAL_SECONDS: '0.5',
          MAILSHIELD_HEALTH_TIMEOUT_SECONDS: '1',
          MAILSHIELD_BACKUP_KEY: randomBytes(32).toString('base64'),
          MAILSHIELD_BACKUP_KEY_FILE: '',
        }),
        stateDir: join(stateDir, 'control-plane'),
        grpcPort: 0,
        metricsPort: undefined,
      },
      { bus: new MemoryBus(), logger },
    );
    t.after(() => controlPlane.stop());

    const address = `127.0.0.1:${controlPlane.ports['grpc']}`;
    const config = new ConfigClient(address, credentials.createInsecure());
    const integrity = new IntegrityClient(address, credentials.createInsecure());
    t.after(() => {
      config.close();
      integrity.close();
    });

    const interceptorStatus = async (): Promise<ComponentStatus> => {
      const status = await call<StatusResponse>((done) => integrity.status({}, done));
      return status.components.find((component) => component.name === 'interceptor')!;
    };

    const startTheInterceptor = async (): Promise<RunningService> => {
      const options = readInterceptorOptions({
        MAILSHIELD_STATE_DIR: join(stateDir, 'interceptor'),
        MAILSHIELD_CONTROL_PLANE_ADDRESS: address,
        MAILSHIELD_KAFKA_BROKERS: '',
        MAILSHIELD_SMTP_HOST: '127.0.0.1',
        MAILSHIELD_SMTP_PORT: '0',
        MAILSHIELD_INTERCEPTOR_GRPC_PORT: String(interceptorPort),
        MAILSHIELD_INTERCEPTOR_METRICS_PORT: '0',
      });
      return startInterceptor(options, { bus: new MemoryBus(), logger });
    };
    const interceptor = await startTheInterceptor();
    await waitFor('the interceptor to run policy version 1', async () => {
      const status = await interceptorStatus();
      return status.health === 'SERVING' && status.policyVersion === 1;
    });
    assert.equal((await interceptorStatus()).policyLagging, false);

    await interceptor.stop();
    const policy = defaultPolicy(['while-down.example']);
    const set = await call<Policy>((done) =>
      config.set({ policy, expectedVersion: 1, actor: 'test' }, done),
    );
    assert.equal(set.version, 2);
    const history = await call<PolicyHistoryResponse>((done) =>
      config.history({ limit: 10 }, done),
    );
    assert.deepEqual(
      history.entries.map((entry) => entry.version),
      [2, 1],
    );
    const rolledBack = await call<Policy>((done) =>
      config.rollback({ toVersion: 1, expectedVersion: 2, actor: 'test' }, done),
    );
    assert.equal(rolledBack.version, 3);
    assert.deepEqual((await call<Policy>((done) => config.get({}, done))).relayDomains, [
      'example.com',
    ]);
    await waitFor('the status to show the interceptor down', async () => {
      const status = await interceptorStatus();
      return status.health === 'UNREACHABLE' || status.health === 'NOT_SERVING';
    });
    const down = await interceptorStatus();
    assert.equal(down.policyVersion, 1);
    assert.equal(down.policyLagging, true);

    const restarted = await startTheInterceptor();
    t.after(() => restarted.stop());
    await waitFor('the restarted interceptor to run version 3', async () => {
      const status = await interceptorStatus();
      return status.health === 'SERVING' && status.policyVersion === 3;
    });
    assert.equal((await interceptorStatus()).policyLagging, false);
  });
}
