import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  clientChannelOptions,
  dependencyHealthService,
  insecureCredentials,
  MemoryBus,
  startGrpcServer,
  Topics,
} from '@mailshield/common';
import { BackupClient } from '@mailshield/proto/backup';
import { startControlPlane } from '../../index.js';
import { defaultIntegritySettings } from '../../integrity/settings.js';
import {
  makeOutcome,
  makeRecord,
  makeTempDir,
  runCli,
  silentLogger,
  testOptions,
} from '../../testing/support.js';

test('mailshieldctl against a real control plane', async (t) => {
  const stateDir = await makeTempDir(t);
  const bus = new MemoryBus();
  // A sick component, so that status has health, dependencies and a restart to show.
  const antivirus = await startGrpcServer('127.0.0.1', 0, [], silentLogger);
  t.after(() => antivirus.stop());
  antivirus.setHealth('NOT_SERVING');
  antivirus.setServiceHealth(dependencyHealthService('clamd'), 'NOT_SERVING');
  antivirus.setServiceHealth(dependencyHealthService('kafka'), 'SERVING');
  const options = testOptions(stateDir, {
    components: [{ name: 'antivirus', address: { host: '127.0.0.1', port: antivirus.port } }],
    healthIntervalSeconds: 0.1,
    integrity: { ...defaultIntegritySettings(['antivirus']), restartAfterSeconds: 0 },
  });
  const service = await startControlPlane(options, { bus, logger: silentLogger });
  t.after(() => service.stop());
  const address = `127.0.0.1:${service.ports['grpc']}`;
  const cli = (...args: string[]) => runCli([...args, '--address', address]);

  await t.test('status shows the policy version', async () => {
    const result = await cli('status');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /policy version: 1/);
  });

  await t.test('status shows health and repairs', async () => {
    let result = await cli('status');
    for (let attempt = 0; attempt < 50 && !/would delete/.test(result.stdout); attempt++)
      result = await cli('status');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^leader: this replica \(control-plane-test\)$/m);
    assert.doesNotMatch(result.stdout, /last self-test/);
    const lines = result.stdout.trimEnd().split('\n');
    assert.match(
      lines.at(-2)!,
      /^COMPONENT +HEALTH +SINCE +POLICY +DEPENDENCIES +RESTARTS +ADDRESS +LAST ACTION +DETAIL$/,
    );
    const row = lines.at(-1)!;
    assert.match(row, /^antivirus +NOT_SERVING +\S+ +- +clamd:NOT_SERVING,kafka +1 \(last \S+\) /);
    assert.match(row, /would delete the pod of antivirus at 127\.0\.0\.1:\d+/);
  });

  await t.test('status prints JSON', async () => {
    const result = await cli('status', '-o', 'json');
    assert.equal(result.code, 0, result.stderr);
    const status = JSON.parse(result.stdout) as {
      leader: boolean;
      leaderIdentity: string;
      components: {
        name: string;
        health: string;
        dependencies: { name: string; health: string }[];
        restartsInWindow: number;
        lastAction: string;
      }[];
    };
    assert.equal(status.leader, true);
    assert.equal(status.leaderIdentity, 'control-plane-test');
    const component = status.components[0]!;
    assert.equal(component.name, 'antivirus');
    assert.equal(component.health, 'NOT_SERVING');
    assert.deepEqual(
      component.dependencies.map((d) => `${d.name}=${d.health}`),
      ['clamd=NOT_SERVING', 'kafka=SERVING'],
    );
    assert.ok(component.restartsInWindow >= 1);
    assert.match(component.lastAction, /^would delete the pod of antivirus/);
  });

  await t.test('policy get prints JSON', async () => {
    const result = await cli('policy', 'get', '-o', 'json');
    assert.equal(result.code, 0, result.stderr);
    const policy = JSON.parse(result.stdout) as { version: number; relayDomains: string[] };
    assert.equal(policy.version, 1);
    assert.deepEqual(policy.relayDomains, ['example.com']);
  });

  await t.test('policy set stores a file', async () => {
    const file = join(stateDir, 'policy.json');
    const current = JSON.parse((await cli('policy', 'get', '-o', 'json')).stdout) as Record<
      string,
      unknown
    >;
    await writeFile(file, JSON.stringify({ ...current, relayDomains: ['cli.example'] }));
    const result = await cli('policy', 'set', '-f', file, '--actor', 'cli-test');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /policy stored as version 2/);
    const stale = await cli('policy', 'set', '-f', file);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /\(ABORTED\)/);
  });

  await t.test('bad policy file shows field errors', async () => {
    const file = join(stateDir, 'bad-policy.json');
    await writeFile(
      file,
      JSON.stringify({
        queueMode: 'QUEUE_MODE_AFTER_QUEUE',
        relayDomains: ['bad..example'],
        maxMessageBytes: 0,
      }),
    );
    const result = await cli('policy', 'set', '-f', file);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: policy is invalid \(INVALID_ARGUMENT\)$/m);
    assert.match(
      result.stderr,
      /^ {2}relayDomains\[0\]: "bad\.\.example" is not a valid domain name$/m,
    );
    assert.match(result.stderr, /^ {2}maxMessageBytes: must be greater than 0$/m);
  });

  await t.test('misspelt policy field is refused', async () => {
    const file = join(stateDir, 'typo-policy.json');
    await writeFile(file, JSON.stringify({ relayDomain: ['a.example'] }));
    const result = await cli('policy', 'set', '-f', file);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /relayDomain: unknown field/);
    await writeFile(
      file,
      JSON.stringify({
        antivirus: {
          inbound: { onInfectd: 'VIRUS_ACTION_SKIP' },
          attachmentRules: [{ name: 'exe', fileType: ['exe'] }],
        },
      }),
    );
    const nested = await cli('policy', 'set', '-f', file);
    assert.equal(nested.code, 1);
    assert.match(nested.stderr, /antivirus\.inbound\.onInfectd: unknown field/);
    assert.match(nested.stderr, /antivirus\.attachmentRules\[0\]\.fileType: unknown field/);
  });

  await t.test('backup list, show and release', async () => {
    const client = new BackupClient(address, insecureCredentials, clientChannelOptions);
    t.after(() => client.close());
    await new Promise<void>((resolve, reject) =>
      client.store(
        { record: makeRecord('cli-1', 'Held message'), outcome: makeOutcome('spam', 'hold') },
        (err) => (err === null ? resolve() : reject(err)),
      ),
    );
    const table = await cli('backup', 'list');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^cli-1 .*spam +hold .*Held message$/m);
    const json = await cli('backup', 'list', '--status', 'spam', '--limit', '5', '-o', 'json');
    assert.deepEqual(
      (JSON.parse(json.stdout) as { entries: { id: string }[] }).entries.map((entry) => entry.id),
      ['cli-1'],
    );
    const raw = await cli('backup', 'show', 'cli-1', '--raw');
    assert.equal(raw.stdout, makeRecord('cli-1', 'Held message').raw.toString());
    const release = await cli('backup', 'release', 'cli-1', '--to', 'dave@example.com');
    assert.equal(release.code, 0, release.stderr);
    assert.match(release.stdout, /released cli-1 to dave@example\.com/);
    assert.equal(bus.publishes.length, 1);
    assert.equal(bus.publishes[0]!.topic, Topics.verdicts);
  });

  await t.test('unknown backup id is NOT_FOUND', async () => {
    const result = await cli('backup', 'release', 'missing-id');
    assert.equal(result.code, 1);
    assert.equal(result.stderr, 'error: backup "missing-id" not found (NOT_FOUND)\n');
  });

  await t.test('unknown command exits 2', async () => {
    const result = await cli('frobnicate');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^error: unknown command "frobnicate"$/m);
    assert.match(result.stderr, /mailshieldctl --help/);
  });

  await t.test('unknown option exits 2', async () => {
    const result = await cli('backup', 'list', '--colour');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^error: unknown option --colour for "backup list"$/m);
  });

  await t.test('help works for every command', async () => {
    const result = await cli('backup', 'release', '--help');
    assert.equal(result.code, 0);
    assert.match(result.stdout, /Usage: mailshieldctl backup release ID \[options\]/);
    assert.match(result.stdout, /--to ADDR,\.\.\./);
  });
});

test('mailshieldctl reports an unreachable control plane', async () => {
  const result = await runCli(['status', '--address', '127.0.0.1:1', '--timeout', '2']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^error: .*\((UNAVAILABLE|DEADLINE_EXCEEDED)\)$/m);
});
