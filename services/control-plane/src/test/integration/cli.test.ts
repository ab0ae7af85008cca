import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFile, writeFile } from 'node:fs/promises';
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

  await t.test('backup list filters', async () => {
    const client = new BackupClient(address, insecureCredentials, clientChannelOptions);
    t.after(() => client.close());
    const record = makeRecord('cli-2', 'Invoice 42');
    record.envelope = {
      ...record.envelope!,
      mailFrom: 'billing@vendor.example',
      rcptTo: ['erin@example.com'],
    };
    await new Promise<void>((resolve, reject) =>
      client.store({ record, outcome: makeOutcome('infected', 'delete_message') }, (err) =>
        err === null ? resolve() : reject(err),
      ),
    );
    const ids = async (...filters: string[]) => {
      const result = await cli('backup', 'list', ...filters, '-o', 'json');
      assert.equal(result.code, 0, result.stderr);
      return (JSON.parse(result.stdout) as { entries: { id: string }[] }).entries.map(
        (entry) => entry.id,
      );
    };
    assert.deepEqual(await ids('--sender', 'VENDOR'), ['cli-2']);
    assert.deepEqual(await ids('--recipient', 'erin'), ['cli-2']);
    assert.deepEqual(await ids('--subject', 'invoice', '--status', 'infected'), ['cli-2']);
    assert.deepEqual(await ids('--since', '1h'), ['cli-2', 'cli-1']);
    assert.deepEqual(await ids('--until', '2000-01-01T00:00:00Z'), []);
    const paged = await cli('backup', 'list', '--since', '1h', '--limit', '1');
    const next = /^more: mailshieldctl backup list (.*)$/m.exec(paged.stdout);
    assert.ok(next !== null, paged.stdout);
    assert.match(next[1]!, /--since \S+Z --limit 1 --page-token \S+$/);
    const rest = await cli('backup', 'list', ...next[1]!.split(' '), '-o', 'json');
    assert.equal(rest.code, 0, rest.stderr);
    assert.deepEqual(
      (JSON.parse(rest.stdout) as { entries: { id: string }[] }).entries.map((entry) => entry.id),
      ['cli-1'],
    );
    const bad = await cli('backup', 'list', '--since', 'last week');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: --since must be an ISO time/m);
  });

  await t.test('backup show is safe', async () => {
    const result = await cli('backup', 'show', 'cli-2', '--actor', 'viewer');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Subject +Invoice 42$/m);
    assert.match(result.stdout, /^STAGE +SCANNER/m);
    assert.match(result.stdout, /^preview \(text\/plain\):\nHello\.$/m);
    const json = await cli('backup', 'show', 'cli-2', '-o', 'json');
    const view = JSON.parse(json.stdout) as { preview: string; outcomes: unknown[] };
    assert.equal(view.preview, 'Hello.');
    assert.equal(view.outcomes.length, 2);
  });

  await t.test('backup download writes a file', async () => {
    const original = makeRecord('cli-2', 'Invoice 42').raw;
    const cwdFile = join(stateDir, 'cli-2.eml');
    const saved = await runCli(['backup', 'download', 'cli-2', '--address', address], stateDir);
    assert.equal(saved.code, 0, saved.stderr);
    assert.match(saved.stdout, /^saved cli-2 to cli-2\.eml \(\d+ bytes\)$/m);
    assert.deepEqual(await readFile(cwdFile), original);
    const again = await runCli(['backup', 'download', 'cli-2', '--address', address], stateDir);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /cli-2\.eml already exists: pass --force to overwrite it/);
    const other = join(stateDir, 'copy.eml');
    await writeFile(other, 'old');
    const forced = await cli('backup', 'download', 'cli-2', '-O', other, '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(await readFile(other), original);
    const piped = await cli('backup', 'download', 'cli-2', '-O', '-');
    assert.equal(piped.stdout, original.toString());
  });

  await t.test('backup delete removes it', async () => {
    const result = await cli('backup', 'delete', 'cli-2', '--actor', 'remover');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^deleted cli-2 \(\d+ bytes\)$/m);
    const gone = await cli('backup', 'show', 'cli-2');
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr, 'error: backup "cli-2" not found (NOT_FOUND)\n');
  });

  await t.test('audit list shows admin actions', async () => {
    const table = await cli('audit', 'list', '--target', 'cli-2');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^TIME +ACTOR +ACTION +TARGET +DETAIL$/m);
    assert.match(table.stdout, /remover +backup\.delete +cli-2/);
    assert.match(table.stdout, /viewer +backup\.show +cli-2/);
    const json = await cli('audit', 'list', '--actor', 'cli-test', '-o', 'json');
    assert.equal(json.code, 0, json.stderr);
    const entries = (JSON.parse(json.stdout) as { entries: { action: string; target: string }[] })
      .entries;
    assert.deepEqual(
      entries.map((entry) => [entry.action, entry.target]),
      [['policy.set', 'policy']],
    );
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
    const download = await cli('backup', 'download', '--help');
    assert.match(download.stdout, /-O, --output-file FILE/);
    const list = await cli('backup', 'list', '--help');
    assert.match(list.stdout, /ignoring case/);
    const audit = await cli('audit', 'list', '--help');
    assert.match(audit.stdout, /Usage: mailshieldctl audit list \[options\]/);
  });
});

test('mailshieldctl reports an unreachable control plane', async () => {
  const result = await runCli(['status', '--address', '127.0.0.1:1', '--timeout', '2']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /^error: .*\((UNAVAILABLE|DEADLINE_EXCEEDED)\)$/m);
});
