import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { clientChannelOptions, insecureCredentials, MemoryBus } from '@mailshield/common';
import { IntegrityClient, type SelfTestResult } from '@mailshield/proto/integrity';
import { readControlPlaneOptions } from '../../config.js';
import { startControlPlane } from '../../index.js';
import { makeTempDir, runCli, silentLogger, testOptions } from '../../testing/support.js';

/** Returns a loopback port that nothing listens on: bound once by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('self-test without a reachable interceptor', async (t) => {
  const stateDir = await makeTempDir(t);
  const interceptor = { host: '127.0.0.1', port: await closedPort() };
  const service = await startControlPlane(
    testOptions(stateDir, { components: [{ name: 'interceptor', address: interceptor }] }),
    { bus: new MemoryBus(), logger: silentLogger },
  );
  t.after(() => service.stop());
  const address = `127.0.0.1:${service.ports['grpc']}`;
  const cli = (...args: string[]) => runCli([...args, '--address', address]);

  await t.test('fails in time with reason', async () => {
    const started = performance.now();
    const result = await cli('self-test', '--deadline', '1');
    const seconds = (performance.now() - started) / 1000;
    assert.equal(result.code, 1, result.stderr);
    assert.ok(seconds < 10, `returned after ${seconds} s`);
    assert.match(result.stdout, /^CHECK +RESULT +EXPECTED +GOT +SECONDS$/m);
    assert.match(
      result.stdout,
      /^eicar +FAILED +antivirus: infected +no connection to the interceptor \(DEADLINE_EXCEEDED\)/m,
    );
    assert.match(result.stdout, /^gtube +FAILED +antivirus: clean, antispam: spam +no connection/m);
    assert.match(result.stdout, /^self-test FAILED/m);
    assert.match(result.stdout, /the interceptor at 127\.0\.0\.1:\d+ is unreachable/);
    assert.match(result.stderr, /^error: self-test failed \(eicar, gtube\)/);
  });

  await t.test('prints JSON with -o json', async () => {
    const result = await cli('self-test', '--deadline', '1', '-o', 'json');
    assert.equal(result.code, 1);
    const parsed = JSON.parse(result.stdout) as SelfTestResult;
    assert.equal(parsed.passed, false);
    assert.deepEqual(
      parsed.checks.map((check) => [check.name, check.passed]),
      [
        ['eicar', false],
        ['gtube', false],
      ],
    );
    assert.match(parsed.detail, /is unreachable/);
  });

  await t.test('status shows the last result', async () => {
    const result = await cli('status', '-o', 'json');
    assert.equal(result.code, 0, result.stderr);
    const status = JSON.parse(result.stdout) as { lastSelfTest?: { checks: unknown[] } };
    assert.equal(status.lastSelfTest?.checks.length, 2);
  });

  await t.test('rejects a bad deadline', async () => {
    const usage = await cli('self-test', '--deadline', '301');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--deadline must be a number of seconds above 0 and at most 300/);
    const client = new IntegrityClient(address, insecureCredentials, clientChannelOptions);
    t.after(() => client.close());
    const err = await new Promise<ServiceError | null>((resolve) =>
      client.selfTest({ deadlineSeconds: -1 }, (error) => resolve(error)),
    );
    assert.equal(err?.code, GrpcStatus.INVALID_ARGUMENT);
    assert.deepEqual(err.metadata.get('mailshield-error-code'), ['CP_SELF_TEST_INVALID']);
  });

  await t.test('help describes it', async () => {
    const help = await runCli(['self-test', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: mailshieldctl self-test \[options\]$/m);
    assert.match(help.stdout, /--deadline SECONDS/);
    const overview = await runCli(['--help']);
    assert.match(overview.stdout, /^ {2}self-test +Send an EICAR and a GTUBE canary/m);
  });
});

test('self-test settings from the environment', () => {
  const defaults = readControlPlaneOptions({});
  assert.equal(defaults.selfTestIntervalSeconds, 300);
  assert.equal(defaults.selfTestDeadlineSeconds, 30);
  const set = readControlPlaneOptions({
    MAILSHIELD_SELF_TEST_INTERVAL_SECONDS: '0',
    MAILSHIELD_SELF_TEST_DEADLINE_SECONDS: '12.5',
  });
  assert.equal(set.selfTestIntervalSeconds, 0);
  assert.equal(set.selfTestDeadlineSeconds, 12.5);
  assert.throws(
    () => readControlPlaneOptions({ MAILSHIELD_SELF_TEST_DEADLINE_SECONDS: '301' }),
    /MAILSHIELD_SELF_TEST_DEADLINE_SECONDS=301 is invalid: expected at most 300/,
  );
});
