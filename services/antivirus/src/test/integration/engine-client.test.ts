import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostPort } from '@mailshield/common';
import { ClamdClient } from '../../engine/clamd-client.js';
import { ClamdError } from '../../engine/clamd-error.js';
import { clamdAddress, closedPort, EICAR, fakeClamd, startScriptedServer } from '../helpers.js';

const { address, skip } = clamdAddress();
const eicar = Buffer.from(EICAR, 'latin1');
const call = { timeoutMs: 10_000 };

function client(): ClamdClient {
  return new ClamdClient(address!);
}

async function clamdError(work: Promise<unknown>): Promise<ClamdError> {
  try {
    await work;
  } catch (err) {
    assert.ok(err instanceof ClamdError, String(err));
    return err;
  }
  assert.fail('expected a ClamdError');
}

test('ClamdClient finds EICAR in a stream', { skip }, async () => {
  assert.deepEqual(await client().scanStream(eicar, call), ['Eicar-Test-Signature.UNOFFICIAL']);
});

test('ClamdClient reports a clean stream', { skip }, async () => {
  assert.deepEqual(await client().scanStream(randomBytes(4096), call), []);
});

test('ClamdClient scans an empty stream', { skip }, async () => {
  assert.deepEqual(await client().scanStream(Buffer.alloc(0), call), []);
});

test('ClamdClient sends a stream in many chunks', { skip }, async () => {
  // The pattern signature matches EICAR at offset 0 followed by anything, so clamd must
  // reassemble the first chunk and read the stream to its end before replying.
  const content = Buffer.concat([eicar, randomBytes(3 * 1024 * 1024 + 17)]);
  const small = new ClamdClient(address!, { chunkBytes: 4096 });
  assert.deepEqual(await small.scanStream(content, call), ['Eicar-Test-Signature.UNOFFICIAL']);
});

test('ClamdClient scans a file with SCAN', { skip }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'engine-client-'));
  after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'infected'), eicar);
  await writeFile(join(dir, 'clean file: with colon'), randomBytes(1000));
  assert.deepEqual(await client().scanFile(join(dir, 'infected'), call), [
    'Eicar-Test-Signature.UNOFFICIAL',
  ]);
  assert.deepEqual(await client().scanFile(join(dir, 'clean file: with colon'), call), []);
});

test('ClamdClient reports a missing file', { skip }, async () => {
  const error = await clamdError(client().scanFile('/nonexistent/mailshield/object', call));
  assert.equal(error.kind, 'fileError');
  assert.match(error.message, /No such file/);
});

test('ClamdClient rejects a relative path', async () => {
  const error = await clamdError(new ClamdClient(await closedPort()).scanFile('a/b', call));
  assert.equal(error.kind, 'fileError');
});

test('ClamdClient reads VERSION', { skip }, async () => {
  const version = await client().version(call);
  assert.match(version.engineVersion, /^\d+\.\d+/);
  // The test database has no official daily database, so clamd reports no database version.
  if (version.databaseVersion !== undefined) assert.ok(version.databaseTime instanceof Date);
});

test('ClamdClient pings clamd', { skip }, async () => {
  await client().ping(call);
});

test('ClamdClient reports a refused connection', async () => {
  const error = await clamdError(new ClamdClient(await closedPort()).ping(call));
  assert.equal(error.kind, 'refused');
  assert.equal(error.code, 'AV_CLAMD_UNAVAILABLE');
});

test('ClamdClient times out a silent clamd and closes the socket', async () => {
  const silent = await startScriptedServer((socket) => socket.resume());
  after(() => silent.close());
  const started = Date.now();
  const error = await clamdError(
    new ClamdClient(silent.address).scanStream(eicar, { timeoutMs: 500 }),
  );
  const elapsed = Date.now() - started;
  assert.equal(error.kind, 'timeout');
  assert.equal(error.code, 'AV_CLAMD_TIMEOUT');
  assert.ok(elapsed >= 490, `took ${elapsed} ms`);
  assert.ok(elapsed < 1000, `took ${elapsed} ms`);
  await waitFor(() => silent.open === 0);
  assert.equal(silent.accepted, 1);
});

test('ClamdClient aborts on a signal', async () => {
  const silent = await startScriptedServer((socket) => socket.resume());
  after(() => silent.close());
  const controller = new AbortController();
  const scan = new ClamdClient(silent.address).scanStream(eicar, {
    timeoutMs: 10_000,
    signal: controller.signal,
  });
  setTimeout(() => controller.abort(), 50);
  assert.equal((await clamdError(scan)).kind, 'aborted');
  await waitFor(() => silent.open === 0);
});

test('ClamdClient never reads a cut reply as a verdict', async () => {
  const server = await startScriptedServer((socket) =>
    socket.once('data', () => socket.end('stream: O')),
  );
  after(() => server.close());
  const error = await clamdError(new ClamdClient(server.address).scanStream(eicar, call));
  assert.equal(error.kind, 'closed');
  assert.equal(error.isTransient, true);
});

test('ClamdClient rejects a reply from another protocol', async () => {
  const server = await fakeServer(() => 'HTTP/1.1 400 Bad Request');
  const error = await clamdError(new ClamdClient(server).scanStream(eicar, call));
  assert.equal(error.kind, 'badReply');
  assert.equal(error.code, 'AV_CLAMD_BAD_REPLY');
});

test('ClamdClient rejects an endless reply', async () => {
  const server = await startScriptedServer((socket) => {
    const junk = Buffer.alloc(16 * 1024, 'x');
    const flood = (): void => {
      while (!socket.destroyed && socket.write(junk));
      if (!socket.destroyed) socket.once('drain', flood);
    };
    flood();
  });
  after(() => server.close());
  const error = await clamdError(new ClamdClient(server.address).ping(call));
  assert.equal(error.kind, 'badReply');
});

test('ClamdClient reports a dropped stream as reset or closed', async () => {
  const server = await startScriptedServer((socket) =>
    socket.once('data', () => socket.resetAndDestroy()),
  );
  after(() => server.close());
  const content = randomBytes(2 * 1024 * 1024);
  const error = await clamdError(new ClamdClient(server.address).scanStream(content, call));
  assert.ok(error.kind === 'reset' || error.kind === 'closed', error.kind);
  assert.equal(error.isTransient, true);
});

async function fakeServer(reply: (command: string) => string): Promise<HostPort> {
  const server = await startScriptedServer(fakeClamd(reply));
  after(() => server.close());
  return server.address;
}

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) assert.fail('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
