import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test, type TestContext } from 'node:test';
import { Metadata } from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthClient,
} from '@mailshield/proto/health';
import { MemoryBus } from '../bus/memory-bus.js';
import { createLogger } from '../logger.js';
import { PolicyWatcher } from '../policy/watcher.js';
import { Registry } from 'prom-client';
import { clientChannelOptions, insecureCredentials } from './client.js';
import {
  dependencyHealthService,
  kafkaProbe,
  watchDependencies,
  watchServiceDependencies,
} from './dependency-health.js';
import { startGrpcServer } from './server.js';

const logger = createLogger('dependency-health-test', 'silent');

async function healthOf(client: HealthClient, service: string): Promise<string> {
  return new Promise((resolve) => {
    client.check({ service }, new Metadata(), (err, response) => {
      resolve(err === null ? ServingStatus[response.status]! : `error ${err.code}`);
    });
  });
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met within 15 s');
    await sleep(50);
  }
}

/** Starts a gRPC server with health and a health client of it, both closed after the test. */
async function serverWithClient(t: TestContext) {
  const server = await startGrpcServer('127.0.0.1', 0, [], logger);
  t.after(() => server.stop());
  const client = new HealthClient(
    `127.0.0.1:${server.port}`,
    insecureCredentials,
    clientChannelOptions,
  );
  t.after(() => client.close());
  return { server, client };
}

test('dependency probes set health services', async (t) => {
  const { server, client } = await serverWithClient(t);
  let isUp = true;
  const stop = watchDependencies(
    server,
    {
      toggled: () => isUp,
      failing: () => Promise.reject(new Error('connection refused')),
      hanging: () => new Promise<boolean>(() => undefined),
    },
    { intervalSeconds: 0.05, timeoutSeconds: 0.2, logger },
  );
  t.after(stop);

  const of = (name: string) => healthOf(client, dependencyHealthService(name));
  await until(async () => (await of('hanging')) === 'NOT_SERVING');
  assert.equal(await of('toggled'), 'SERVING');
  assert.equal(await of('failing'), 'NOT_SERVING');
  isUp = false;
  await until(async () => (await of('toggled')) === 'NOT_SERVING');
  assert.equal(await of('unknown'), 'error 5');
});

test('control-plane dependency follows the watch', async (t) => {
  const { server, client } = await serverWithClient(t);
  // A control plane that is not listening: the watch never connects.
  const watcher = new PolicyWatcher({
    controlPlane: { host: '127.0.0.1', port: 1 },
    component: 'dependency-test',
    logger,
    registry: new Registry(),
  });
  void watcher.start();
  t.after(() => watcher.stop());
  const stop = watchServiceDependencies(server, {
    bus: new MemoryBus(),
    groupId: 'group',
    topic: 'topic',
    policy: watcher,
    logger,
  });
  t.after(stop);
  const of = (name: string) => healthOf(client, dependencyHealthService(name));
  await until(async () => (await of('control-plane')) === 'NOT_SERVING');
  assert.equal(watcher.isConnected, false);
  // A memory bus has no broker to report.
  assert.equal(await of('kafka'), 'error 5');
  assert.equal(kafkaProbe(new MemoryBus(), 'group', 'topic'), undefined);
});
