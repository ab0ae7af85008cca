import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lstat, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
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
    assert.match(
      row,
      /^antivirus +NOT_SERVING +\S+ +- +clamd:NOT_SERVING,kafka +1 reported, not in Kubernetes \(last \S+\) /,
    );
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
        restartsAreDryRun: boolean;
        policyLagging: boolean;
        lastAction: string;
      }[];
    };
    assert.equal(status.leader, true);
    assert.equal(status.components[0]!.restartsAreDryRun, true);
    assert.equal(status.components[0]!.policyLagging, false);
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
    const result = await cli('policy', 'set', '-f', file, '--force');
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
    const release = await cli('backup', 'release', 'cli-1', '--to', 'Dave@Example.COM');
    assert.equal(release.code, 0, release.stderr);
    assert.match(release.stdout, /released cli-1 to Dave@Example\.COM/);
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
    assert.deepEqual(await ids('--status', 'INFECTED'), ['cli-2']);
    const misspelled = await cli('backup', 'list', '--status', 'infectd');
    assert.equal(misspelled.code, 0, misspelled.stderr);
    assert.match(misspelled.stdout, /^no backed-up messages with status "infectd"; "backup list"/);
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

  await t.test('download checks the target first', async () => {
    const downloads = async () => {
      const json = await cli('audit', 'list', '--target', 'cli-2', '-o', 'json');
      const entries = (JSON.parse(json.stdout) as { entries: { action: string }[] }).entries;
      return entries.filter((entry) => entry.action === 'backup.download').length;
    };
    const before = await downloads();
    const existing = join(stateDir, 'existing.eml');
    await writeFile(existing, 'old');
    const exists = await cli('backup', 'download', 'cli-2', '-O', existing);
    assert.equal(exists.code, 1);
    assert.match(exists.stderr, /existing\.eml already exists: pass --force/);
    const folder = await cli('backup', 'download', 'cli-2', '-O', stateDir, '--force');
    assert.equal(folder.code, 1);
    assert.match(folder.stderr, /is a directory; give a file name with -O/);
    const missing = await cli('backup', 'download', 'cli-2', '-O', join(stateDir, 'no', 'x.eml'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /folder .*no does not exist/);
    const link = join(stateDir, 'dangling.eml');
    await symlink(join(stateDir, 'nowhere.eml'), link);
    const linked = await cli('backup', 'download', 'cli-2', '-O', link, '--force');
    assert.equal(linked.code, 1);
    assert.match(linked.stderr, /dangling\.eml is a symbolic link/);
    await assert.rejects(lstat(join(stateDir, 'nowhere.eml')));
    assert.equal(await downloads(), before);
    assert.equal(await readFile(existing, 'utf8'), 'old');
  });

  await t.test('download writes mode 0600 and no temp file', async () => {
    const file = join(stateDir, 'private.eml');
    const result = await cli('backup', 'download', 'cli-2', '-O', file);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(
      (await readdir(stateDir)).filter((name) => name.endsWith('.tmp')),
      [],
    );
  });

  await t.test('forged actor is rejected', async () => {
    const forged = 'evil\n2026-01-01T00:00:00Z  root@vm  backup.delete  cli-2';
    const show = await cli('backup', 'show', 'cli-2', '--actor', forged);
    assert.equal(show.code, 1);
    assert.match(show.stderr, /^error: actor is invalid \(INVALID_ARGUMENT\)$/m);
    assert.match(show.stderr, /^ {2}actor: contains control or format characters/m);
    const escape = await cli('backup', 'delete', 'cli-2', '--actor', 'e\u001b[2Jx');
    assert.equal(escape.code, 1);
    assert.match(escape.stderr, /\(INVALID_ARGUMENT\)/);
    const bidi = await cli('backup', 'release', 'cli-2', '--actor', 'admin\u202Etoor');
    assert.equal(bidi.code, 1);
    assert.match(bidi.stderr, /\(INVALID_ARGUMENT\)/);
    const long = await cli('backup', 'download', 'cli-2', '-O', '-', '--actor', 'a'.repeat(201));
    assert.equal(long.code, 1);
    assert.match(long.stderr, /actor: 201 characters, at most 200/);
    const audit = await cli('audit', 'list', '--target', 'cli-2');
    assert.doesNotMatch(audit.stdout, /evil|toor|2026-01-01/);
  });

  await t.test('tables escape control characters', async () => {
    const client = new BackupClient(address, insecureCredentials, clientChannelOptions);
    t.after(() => client.close());
    const record = makeRecord('cli-3', 'Escapes');
    record.envelope = { ...record.envelope!, mailFrom: 'x\u001b[2J@evil.example' };
    await new Promise<void>((resolve, reject) =>
      client.store({ record, outcome: makeOutcome('spam', 'hold') }, (err) =>
        err === null ? resolve() : reject(err),
      ),
    );
    const table = await cli('backup', 'list', '--subject', 'Escapes');
    assert.equal(table.code, 0, table.stderr);
    assert.doesNotMatch(table.stdout, /\u001b/);
    assert.match(table.stdout, /x\\x1B\[2J@evil\.example/);
    const show = await cli('backup', 'show', 'cli-3');
    assert.doesNotMatch(show.stdout, /\u001b/);
  });

  await t.test('bad backup options are usage errors', async () => {
    const empty = await cli('backup', 'release', 'cli-1', '--to', '');
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /^error: --to has an empty address; /m);
    const gap = await cli('backup', 'release', 'cli-1', '--to', 'a@x.example,,b@x.example');
    assert.equal(gap.code, 2);
    assert.match(
      gap.stderr,
      /--to has an empty address \(entry 2 of "a@x\.example,,b@x\.example"\)/,
    );
    const order = await cli('backup', 'list', '--since', '1h', '--until', '2h');
    assert.equal(order.code, 2);
    assert.match(order.stderr, /^error: --since \(\S+\) must be before --until/m);
    const negative = await cli('backup', 'list', '--limit', '-3');
    assert.equal(negative.code, 2);
    assert.match(negative.stderr, /--limit must be a whole number of 1 or more, not "-3"/);
    const timeout = await cli('status', '--timeout', '-1');
    assert.equal(timeout.code, 2);
    assert.match(timeout.stderr, /--timeout must be a positive number of seconds/);
    const token = await cli('backup', 'list', '--page-token', 'bogus');
    assert.equal(token.code, 1);
    assert.match(token.stderr, /^error: --page-token is invalid: pass the token/m);
  });

  await t.test('long unknown id is shortened', async () => {
    const result = await cli('backup', 'show', 'x'.repeat(5000));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: backup "x{100}"… \(5000 characters\) not found/);
    assert.ok(result.stderr.length < 300, result.stderr);
  });

  await t.test('backup delete removes it', async () => {
    const result = await cli('backup', 'delete', 'cli-2', '--actor', 'remover');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^deleted cli-2 \(\d+ bytes\)$/m);
    const afterDelete = await cli('backup', 'show', 'cli-2');
    assert.equal(afterDelete.code, 1);
    assert.equal(afterDelete.stderr, 'error: backup "cli-2" not found (NOT_FOUND)\n');
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
    const overview = await cli('--help');
    assert.match(overview.stdout, /^Exit codes: 0 success, 1 the call or its input failed, 2 /m);
    const group = await cli('audit');
    assert.equal(group.code, 2);
    assert.match(group.stderr, /^error: missing a command after "audit"$/m);
  });
});

test('mailshieldctl reports an unreachable control plane', async () => {
  const result = await runCli(['status', '--address', '127.0.0.1:1', '--timeout', '5']);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    'error: cannot reach the control plane at 127.0.0.1:1 (connect ECONNREFUSED 127.0.0.1:1); ' +
      'start it (make run) or point --address / MAILSHIELD_CONTROL_PLANE_ADDRESS at it\n',
  );
});

test('mailshieldctl reports a silent control plane', async (t) => {
  // A TCP listener that never speaks HTTP/2, so the call can only run out of time.
  const sockets: Socket[] = [];
  const silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    silent.close();
  });
  const address = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
  const result = await runCli(['status', '--address', address, '--timeout', '1']);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    `error: no answer from the control plane at ${address} within 1 s; ` +
      'raise --timeout, or check that the address is right\n',
  );
});
