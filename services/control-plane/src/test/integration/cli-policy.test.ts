import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { MemoryBus } from '@mailshield/common';
import { startControlPlane } from '../../index.js';
import { makeTempDir, runCli, silentLogger, testOptions } from '../../testing/support.js';

const overrideYaml = `version: 1
queueMode: QUEUE_MODE_AFTER_QUEUE
relayDomains:
  - example.com
  - partner.example
maxMessageBytes: 26214400
beforeQueueTimeoutSeconds: 30
overrides:
  - recipientDomain: partner.example
    direction: DIRECTION_INBOUND
    antispam:
      spamThreshold: 9
      onSpam: SPAM_ACTION_HOLD
`;

/** The required settings, without a version. */
const minimalYaml = `queueMode: QUEUE_MODE_AFTER_QUEUE
relayDomains: [example.com]
maxMessageBytes: 26214400
beforeQueueTimeoutSeconds: 30
`;

test('mailshieldctl policy versions and YAML', async (t) => {
  const stateDir = await makeTempDir(t);
  const service = await startControlPlane(testOptions(stateDir), {
    bus: new MemoryBus(),
    logger: silentLogger,
  });
  t.after(() => service.stop());
  const address = `127.0.0.1:${service.ports['grpc']}`;
  const cli = (...args: string[]) => runCli([...args, '--address', address]);

  await t.test('apply stores a YAML file', async () => {
    const file = join(stateDir, 'policy.yaml');
    await writeFile(file, overrideYaml);
    const result = await cli('apply', '-f', file, '--actor', 'cli-test');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'policy stored as version 2\n');
  });

  await t.test('policy get -o yaml reads back', async () => {
    const yaml = await cli('policy', 'get', '-o', 'yaml');
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.match(yaml.stdout, /^version: 2$/m);
    assert.match(yaml.stdout, /^ {2}- recipientDomain: partner\.example$/m);
    assert.match(yaml.stdout, /^ {6}onSpam: SPAM_ACTION_HOLD$/m);
    const file = join(stateDir, 'round-trip.yaml');
    await writeFile(file, yaml.stdout.replace('spamThreshold: 9', 'spamThreshold: 8'));
    const applied = await cli('apply', '-f', file);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /version 3/);
    const stale = await cli('apply', '-f', file);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /\(ABORTED\)/);
  });

  await t.test('policy set still takes JSON', async () => {
    const json = JSON.parse((await cli('policy', 'get', '-o', 'json')).stdout) as object;
    const file = join(stateDir, 'policy.json');
    await writeFile(
      file,
      JSON.stringify({ ...json, relayDomains: ['example.com'], overrides: [] }),
    );
    const result = await cli('policy', 'set', '-f', file);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /version 4/);
  });

  await t.test('apply names line and field of bad YAML', async () => {
    const file = join(stateDir, 'bad.yaml');
    await writeFile(
      file,
      'relayDomains: [example.com]\nantispam:\n  onSpam: SPAM_ACTION_EXPLODE\n  spamTreshold: 4\n',
    );
    const result = await cli('apply', '-f', file);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: .*bad\.yaml has fields that a policy does not have/m);
    assert.match(
      result.stderr,
      /^ {2}line 3: antispam\.onSpam: "SPAM_ACTION_EXPLODE" is not one of/m,
    );
    assert.match(result.stderr, /^ {2}line 4: antispam\.spamTreshold: unknown field/m);
  });

  await t.test('apply shows the server field errors', async () => {
    const file = join(stateDir, 'invalid.yaml');
    await writeFile(
      file,
      'relayDomains: [example.com]\noverrides:\n  - recipientDomain: bad..example\n  - {}\n',
    );
    const result = await cli('apply', '-f', file, '--force');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: policy is invalid \(INVALID_ARGUMENT\)$/m);
    assert.match(
      result.stderr,
      /^ {2}overrides\[0\]\.recipientDomain: "bad\.\.example" is not a valid domain name$/m,
    );
    assert.match(result.stderr, /^ {2}overrides\[1\]: set recipientDomain, direction or both/m);
  });

  await t.test('policy history lists versions', async () => {
    const table = await cli('policy', 'history');
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^VERSION +STORED +ACTOR +SUMMARY$/);
    assert.match(lines[1]!, /^4 +\S+Z +\S+ +after-queue; 1 relay domain; 0 trusted networks/);
    assert.match(lines[3]!, /^2 +\S+Z +cli-test +after-queue; 2 relay domains; .*; 1 override$/);
    assert.match(lines[4]!, /^1 +\S+Z +seed /);
    const json = await cli('policy', 'history', '--limit', '2', '-o', 'json');
    const entries = (JSON.parse(json.stdout) as { entries: { version: number }[] }).entries;
    assert.deepEqual(
      entries.map((entry) => entry.version),
      [4, 3],
    );
  });

  await t.test('policy rollback restores a version', async () => {
    const result = await cli('policy', 'rollback', '2', '--actor', 'ops');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'policy version 2 restored as version 5\n');
    const yaml = await cli('policy', 'get', '-o', 'yaml');
    assert.match(yaml.stdout, /^version: 5$/m);
    assert.match(yaml.stdout, /spamThreshold: 9/);
    const json = await cli('policy', 'rollback', '1', '--expected-version', '5', '-o', 'json');
    assert.equal((JSON.parse(json.stdout) as { version: number }).version, 6);
  });

  await t.test('policy rollback of unknown version fails', async () => {
    const result = await cli('policy', 'rollback', '99');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: policy version 99 not found.*\(NOT_FOUND\)$/m);
    const usage = await cli('policy', 'rollback', 'latest');
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /VERSION must be a whole number of 1 or more, not "latest"/);
    for (const version of ['0', '-1']) {
      const range = await cli('policy', 'rollback', version);
      assert.equal(range.code, 2);
      assert.match(
        range.stderr,
        new RegExp(`^error: VERSION must be a whole number of 1 or more, not "${version}"$`, 'm'),
      );
    }
  });

  await t.test('policy rollback of current version fails', async () => {
    const result = await cli('policy', 'rollback', '6');
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^error: policy version 6 is already the current version; .*\(FAILED_PRECONDITION\)$/m,
    );
  });

  await t.test('policy rollback rejects a forged actor', async () => {
    const result = await cli('policy', 'rollback', '1', '--actor', 'ops\u001b[2J');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^ {2}actor: contains control or format characters/m);
    const file = join(stateDir, 'forged.yaml');
    await writeFile(file, `version: 6\n${minimalYaml}`);
    const set = await cli('policy', 'set', '-f', file, '--actor', 'ops\nroot');
    assert.equal(set.code, 1);
    assert.match(set.stderr, /^error: actor is invalid \(INVALID_ARGUMENT\)$/m);
  });

  await t.test('apply requires a version', async () => {
    const file = join(stateDir, 'no-version.yaml');
    await writeFile(file, minimalYaml);
    const result = await cli('apply', '-f', file);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /no-version\.yaml has no "version" field/);
    assert.match(result.stderr, /add "version: 6" \(the current version/);
    assert.match(result.stderr, /or pass --force/);
    const set = await cli('policy', 'set', '-f', file);
    assert.equal(set.code, 1);
    assert.match(set.stderr, /has no "version" field/);
    const zero = await cli('apply', '-f', file, '--expected-version', '0');
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /--expected-version must be a whole number of 1 or more, not "0"/);
    const forced = await cli('apply', '-f', file, '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /version 7/);
  });

  await t.test('apply accepts upper-case senders', async () => {
    const file = join(stateDir, 'senders.json');
    const current = JSON.parse((await cli('policy', 'get', '-o', 'json')).stdout) as {
      antispam: object;
    };
    const changed = {
      ...current,
      relayDomains: ['Example.COM'],
      antispam: { ...current.antispam, senderBlocklist: ['Spammer@Spam.Test', '@Bad.Test'] },
    };
    await writeFile(file, JSON.stringify(changed));
    const result = await cli('apply', '-f', file);
    assert.equal(result.code, 0, result.stderr);
    const json = await cli('policy', 'get', '-o', 'json');
    const policy = JSON.parse(json.stdout) as {
      relayDomains: string[];
      antispam: { senderBlocklist: string[] };
    };
    assert.deepEqual(policy.relayDomains, ['example.com']);
    assert.deepEqual(policy.antispam.senderBlocklist, ['Spammer@Spam.Test', '@Bad.Test']);
  });

  await t.test('-o yaml rejected elsewhere', async () => {
    const result = await cli('policy', 'history', '-o', 'yaml');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /-o must be table or json, not "yaml"/);
  });
});

test('mailshieldctl help for policy commands', async () => {
  const cases: [string[], RegExp][] = [
    [['apply'], /Usage: mailshieldctl apply \[options\][\s\S]*YAML or proto JSON/],
    [
      ['policy', 'history'],
      /Usage: mailshieldctl policy history[\s\S]*--limit N .*0 also means 20/,
    ],
    [
      ['policy', 'rollback'],
      /Usage: mailshieldctl policy rollback VERSION[\s\S]*--expected-version/,
    ],
    [['policy', 'get'], /-o yaml/],
  ];
  for (const [words, pattern] of cases) {
    const result = await runCli([...words, '--help']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, pattern);
  }
  const overview = await runCli(['policy', '--help']);
  assert.match(overview.stdout, /policy rollback VERSION/);
});
