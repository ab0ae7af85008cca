import assert from 'node:assert/strict';
import { test } from 'node:test';
import { once } from 'node:events';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  clientChannelOptions,
  defaultPolicy,
  insecureCredentials,
  MemoryBus,
} from '@mailshield/common';
import { ConfigClient } from '@mailshield/proto/config';
import { IntegrityClient, type StatusResponse } from '@mailshield/proto/integrity';
import type { Policy } from '@mailshield/proto/policy';
import { startControlPlane } from '../../index.js';
import { makeTempDir, silentLogger, testOptions } from '../../testing/support.js';

function nextPolicy(stream: NodeJS.EventEmitter): Promise<Policy> {
  return once(stream, 'data').then(([policy]) => policy as Policy);
}

test('Config.Watch delivers a Set to the watcher', async (t) => {
  const service = await startControlPlane(testOptions(await makeTempDir(t)), {
    bus: new MemoryBus(),
    logger: silentLogger,
  });
  t.after(() => service.stop());
  const address = `127.0.0.1:${service.ports['grpc']}`;
  const client = new ConfigClient(address, insecureCredentials, clientChannelOptions);
  t.after(() => client.close());

  const stream = client.watch({ component: 'antivirus' });
  stream.on('error', () => undefined);
  const first = await nextPolicy(stream);
  assert.equal(first.version, 1);

  const second = nextPolicy(stream);
  const stored = await new Promise<Policy>((resolve, reject) =>
    client.set(
      { policy: defaultPolicy(['new.example']), expectedVersion: 1, actor: 'test' },
      (err, policy) => (err === null ? resolve(policy) : reject(err)),
    ),
  );
  assert.equal(stored.version, 2);
  const received = await second;
  assert.equal(received.version, 2);
  assert.deepEqual(received.relayDomains, ['new.example']);

  const integrity = new IntegrityClient(address, insecureCredentials, clientChannelOptions);
  t.after(() => integrity.close());
  const status = await new Promise<StatusResponse>((resolve, reject) =>
    integrity.status({}, (err, response) => (err === null ? resolve(response) : reject(err))),
  );
  assert.equal(status.policyVersion, 2);
  stream.cancel();
});

test('cancelled watch does not crash the server', async (t) => {
  const service = await startControlPlane(testOptions(await makeTempDir(t)), {
    bus: new MemoryBus(),
    logger: silentLogger,
  });
  t.after(() => service.stop());
  const client = new ConfigClient(
    `127.0.0.1:${service.ports['grpc']}`,
    insecureCredentials,
    clientChannelOptions,
  );
  t.after(() => client.close());

  for (let n = 0; n < 5; n += 1) {
    const stream = client.watch({ component: `watcher-${n}` });
    const ended = new Promise<ServiceError>((resolve) => stream.on('error', resolve));
    await nextPolicy(stream);
    stream.cancel();
    assert.equal((await ended).code, GrpcStatus.CANCELLED);
  }
  // The server keeps serving, and a Set with no watchers left succeeds.
  const stored = await new Promise<Policy>((resolve, reject) =>
    client.set(
      { policy: defaultPolicy(['after.example']), expectedVersion: 0, actor: 'test' },
      (err, policy) => (err === null ? resolve(policy) : reject(err)),
    ),
  );
  assert.equal(stored.version, 2);
});

test('Config.Set answers INVALID_ARGUMENT with field errors', async (t) => {
  const service = await startControlPlane(testOptions(await makeTempDir(t)), {
    bus: new MemoryBus(),
    logger: silentLogger,
  });
  t.after(() => service.stop());
  const client = new ConfigClient(
    `127.0.0.1:${service.ports['grpc']}`,
    insecureCredentials,
    clientChannelOptions,
  );
  t.after(() => client.close());

  const err = await new Promise<ServiceError>((resolve) =>
    client.set(
      {
        policy: { ...defaultPolicy(['bad..example']), maxMessageBytes: 0 },
        expectedVersion: 0,
        actor: 'test',
      },
      (error) => resolve(error!),
    ),
  );
  assert.equal(err.code, GrpcStatus.INVALID_ARGUMENT);
  const fieldErrors = err.metadata
    .get('mailshield-field-error-bin')
    .map((value) => value.toString());
  assert.deepEqual(fieldErrors, [
    'relayDomains[0]: "bad..example" is not a valid domain name',
    'maxMessageBytes: must be greater than 0',
  ]);
  assert.deepEqual(err.metadata.get('mailshield-error-code'), ['CP_POLICY_INVALID']);
});
