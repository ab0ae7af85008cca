import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  clientChannelOptions,
  insecureCredentials,
  InvalidArgumentError,
  MemoryBus,
  startGrpcServer,
  unary,
} from '@mailshield/common';
import { AntispamService, type TrainRequest, type TrainResponse } from '@mailshield/proto/antispam';
import { BackupClient } from '@mailshield/proto/backup';
import { Label } from '@mailshield/proto/learning';
import { startControlPlane } from '../../index.js';
import {
  makeOutcome,
  makeRecord,
  makeTempDir,
  runCli,
  silentLogger,
  testOptions,
} from '../../testing/support.js';

/** Starts an Antispam service on loopback whose Train records the requests it receives. */
async function startFakeAntispam(received: TrainRequest[]) {
  const train = async (request: TrainRequest): Promise<TrainResponse> => {
    if (request.raw.length === 0)
      throw new InvalidArgumentError('AS_TRAIN_INVALID', 'invalid Train request', [
        'raw: must contain the message',
      ]);
    received.push(request);
    const id = request.id === '' ? `sha256:${received.length}` : request.id;
    return { id, version: received.length, changed: true, tokenCount: 42 };
  };
  const scoreMessage = async (): Promise<never> => {
    throw new Error('not used');
  };
  return startGrpcServer(
    '127.0.0.1',
    0,
    [
      {
        definition: AntispamService,
        implementation: {
          train: unary(silentLogger, train),
          scoreMessage: unary(silentLogger, scoreMessage),
        },
      },
    ],
    silentLogger,
  );
}

test('mailshieldctl train', async (t) => {
  const stateDir = await makeTempDir(t);
  const received: TrainRequest[] = [];
  const antispam = await startFakeAntispam(received);
  t.after(() => antispam.stop());
  const components = [{ name: 'antispam', address: { host: '127.0.0.1', port: antispam.port } }];
  const service = await startControlPlane(testOptions(stateDir, { components }), {
    bus: new MemoryBus(),
    logger: silentLogger,
  });
  t.after(() => service.stop());
  const address = `127.0.0.1:${service.ports['grpc']}`;
  const cli = (...args: string[]) => runCli([...args, '--address', address]);
  const first = join(stateDir, 'one.eml');
  const second = join(stateDir, 'two.eml');
  await writeFile(first, 'Subject: one\r\n\r\nCheap pills\r\n');
  await writeFile(second, 'Subject: two\r\n\r\nCasino bonus\r\n');

  await t.test('files go to the listed antispam', async () => {
    const result = await cli('train', '--spam', first, second, '--actor', 'cli-test');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^SOURCE +LABEL +RESULT +TOKENS +VERSION +ID$/m);
    assert.match(result.stdout, /one\.eml +spam +learned +42 +1 +sha256:1$/m);
    assert.equal(received.length, 2);
    assert.equal(received[0]!.label, Label.LABEL_SPAM);
    assert.equal(received[0]!.id, '');
    assert.equal(received[0]!.actor, 'cli-test');
    assert.equal(Buffer.from(received[1]!.raw).toString(), 'Subject: two\r\n\r\nCasino bonus\r\n');
  });

  await t.test('backup message is taught under its id', async () => {
    const backup = new BackupClient(address, insecureCredentials, clientChannelOptions);
    t.after(() => backup.close());
    const record = makeRecord('held-1', 'Held message');
    await new Promise<void>((resolve, reject) =>
      backup.store({ record, outcome: makeOutcome('spam', 'hold') }, (err) =>
        err === null ? resolve() : reject(err),
      ),
    );
    const result = await runCli([
      'train',
      '--ham',
      '--backup',
      'held-1',
      '-o',
      'json',
      '--address',
      address,
      '--antispam',
      `127.0.0.1:${antispam.port}`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    const output = JSON.parse(result.stdout) as { results: Record<string, unknown>[] };
    assert.deepEqual(output.results[0], {
      source: 'backup:held-1',
      id: 'held-1',
      label: 'ham',
      changed: true,
      tokenCount: 42,
      version: 3,
    });
    assert.equal(received[2]!.label, Label.LABEL_HAM);
    assert.ok(Buffer.from(received[2]!.raw).equals(record.raw));
  });

  await t.test('rejected message shows field errors', async () => {
    const empty = join(stateDir, 'empty.eml');
    await writeFile(empty, '');
    const result = await cli('train', '--spam', empty);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: invalid Train request \(INVALID_ARGUMENT\)$/m);
    assert.match(result.stderr, /^ {2}raw: must contain the message$/m);
  });

  await t.test('label is required', async () => {
    const result = await cli('train', first);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /exactly one of --spam and --ham/);
  });

  await t.test('files or backup are required', async () => {
    const none = await cli('train', '--spam');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /needs at least one FILE or --backup ID/);
    const both = await cli('train', '--spam', first, '--backup', 'held-1');
    assert.equal(both.code, 2);
    assert.match(both.stderr, /either FILE arguments or --backup ID/);
  });

  await t.test('missing file is reported', async () => {
    const result = await cli('train', '--spam', join(stateDir, 'missing.eml'));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: cannot read .*missing\.eml/m);
  });

  await t.test('help describes the options', async () => {
    const result = await cli('train', '--help');
    assert.equal(result.code, 0);
    assert.match(result.stdout, /Usage: mailshieldctl train FILE\.\.\. \[options\]/);
    assert.match(result.stdout, /--backup ID/);
    assert.match(result.stdout, /--antispam HOST:PORT/);
  });
});

test('mailshieldctl train without an antispam component', async (t) => {
  const stateDir = await makeTempDir(t);
  const service = await startControlPlane(testOptions(stateDir), {
    bus: new MemoryBus(),
    logger: silentLogger,
  });
  t.after(() => service.stop());
  const file = join(stateDir, 'one.eml');
  await writeFile(file, 'Subject: one\r\n\r\nHello\r\n');
  const result = await runCli([
    'train',
    '--ham',
    file,
    '--address',
    `127.0.0.1:${service.ports['grpc']}`,
  ]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /lists no "antispam" component; pass --antispam HOST:PORT/);
});
