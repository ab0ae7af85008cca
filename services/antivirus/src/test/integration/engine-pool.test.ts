import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClamdPool, type ClamdPoolOptions } from '../../engine/clamd-pool.js';
import {
  clamdAddress,
  closedPort,
  EICAR,
  fakeClamd,
  startScriptedServer,
  type ScriptedServer,
} from '../helpers.js';

const { address, skip } = clamdAddress();
const eicar = Buffer.from(EICAR, 'latin1');

function pool(options: ClamdPoolOptions): ClamdPool {
  const created = new ClamdPool({ refreshIntervalSeconds: 0, ...options });
  after(() => created.close());
  return created;
}

async function server(
  onConnection: Parameters<typeof startScriptedServer>[0],
): Promise<ScriptedServer> {
  const started = await startScriptedServer(onConnection);
  after(() => started.close());
  return started;
}

async function tempFile(content: Buffer): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'engine-pool-'));
  after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'object');
  await writeFile(file, content);
  return file;
}

test('ClamdPool scans with INSTREAM', { skip }, async () => {
  const scanner = pool({ endpoints: [{ address: address!, sharesStore: false }] });
  const infected = await scanner.scan({ content: eicar, timeoutSeconds: 10 });
  assert.equal(infected.status, 'infected');
  assert.deepEqual(infected.names, ['Eicar-Test-Signature.UNOFFICIAL']);
  const clean = await scanner.scan({ content: randomBytes(2048), timeoutSeconds: 10 });
  assert.deepEqual(clean, { status: 'clean', names: [], reason: undefined, detail: undefined });
});

test('ClamdPool scans a shared file with SCAN', { skip }, async () => {
  const file = await tempFile(eicar);
  const scanner = pool({ endpoints: [{ address: address!, sharesStore: true }] });
  // Different bytes in `content` show that clamd read the file, not the stream.
  const verdict = await scanner.scan({ content: randomBytes(100), file, timeoutSeconds: 10 });
  assert.equal(verdict.status, 'infected');
});

test('ClamdPool sends the bytes to a clamd without the store', { skip }, async () => {
  const file = await tempFile(eicar);
  const scanner = pool({ endpoints: [{ address: address!, sharesStore: false }] });
  const verdict = await scanner.scan({ content: randomBytes(100), file, timeoutSeconds: 10 });
  assert.equal(verdict.status, 'clean');
});

test('ClamdPool falls back to INSTREAM for an unreadable file', { skip }, async () => {
  const scanner = pool({ endpoints: [{ address: address!, sharesStore: true }] });
  const verdict = await scanner.scan({
    content: eicar,
    file: '/nonexistent/mailshield/object',
    timeoutSeconds: 10,
  });
  assert.equal(verdict.status, 'infected');
});

test('ClamdPool times out a silent clamd within the deadline', async () => {
  const silent = await server((socket) => socket.resume());
  const scanner = pool({ endpoints: [{ address: silent.address, sharesStore: false }] });
  const started = Date.now();
  const verdict = await scanner.scan({ content: eicar, timeoutSeconds: 1 });
  const elapsed = Date.now() - started;
  assert.equal(verdict.status, 'unscanned');
  assert.equal(verdict.reason, 'AV_CLAMD_TIMEOUT');
  assert.ok(elapsed >= 990, `took ${elapsed} ms`);
  assert.ok(elapsed < 1300, `took ${elapsed} ms`);
  await waitFor(() => silent.open === 0);
});

test('ClamdPool keeps the deadline across two silent clamds', async () => {
  const first = await server((socket) => socket.resume());
  const second = await server((socket) => socket.resume());
  const scanner = pool({
    endpoints: [
      { address: first.address, sharesStore: false },
      { address: second.address, sharesStore: false },
    ],
  });
  const started = Date.now();
  const verdicts = await Promise.all(
    Array.from({ length: 4 }, () => scanner.scan({ content: eicar, timeoutSeconds: 0.5 })),
  );
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 800, `took ${elapsed} ms`);
  for (const verdict of verdicts) assert.equal(verdict.reason, 'AV_CLAMD_TIMEOUT');
  await waitFor(() => first.open === 0 && second.open === 0);
});

test('ClamdPool retries a dropped stream on another clamd', { skip }, async () => {
  const dropping = await server((socket) => socket.once('data', () => socket.destroy()));
  const scanner = pool({
    endpoints: [
      { address: dropping.address, sharesStore: false },
      { address: address!, sharesStore: false },
    ],
  });
  const contents = Array.from({ length: 8 }, (_, index) =>
    index % 2 === 0 ? eicar : randomBytes(256 * 1024),
  );
  const verdicts = await Promise.all(
    contents.map((content) => scanner.scan({ content, timeoutSeconds: 10 })),
  );
  assert.deepEqual(
    verdicts.map((verdict) => verdict.status),
    contents.map((content) => (content === eicar ? 'infected' : 'clean')),
  );
  assert.ok(dropping.accepted > 0);
});

test('ClamdPool does not retry a verdict', async () => {
  const fake = await server(fakeClamd(() => 'stream: Win.Test.Fake FOUND'));
  const other = await server(fakeClamd(() => 'stream: OK'));
  const scanner = pool({
    endpoints: [
      { address: fake.address, sharesStore: false },
      { address: other.address, sharesStore: false },
    ],
  });
  const verdicts = await Promise.all(
    Array.from({ length: 6 }, () => scanner.scan({ content: eicar, timeoutSeconds: 5 })),
  );
  assert.equal(fake.accepted + other.accepted, 6);
  assert.equal(verdicts.filter((verdict) => verdict.status === 'infected').length, fake.accepted);
});

test('ClamdPool retries one clamd once', async () => {
  const dropping = await server((socket) => socket.once('data', () => socket.destroy()));
  const scanner = pool({ endpoints: [{ address: dropping.address, sharesStore: false }] });
  const verdict = await scanner.scan({ content: eicar, timeoutSeconds: 5 });
  assert.equal(verdict.status, 'unscanned');
  assert.equal(verdict.reason, 'AV_CLAMD_UNAVAILABLE');
  // Two attempts, each followed by the check for the stream size limit.
  assert.equal(dropping.accepted, 4);
});

test('ClamdPool opens the circuit when every clamd refuses', async () => {
  const ports = [await closedPort(), await closedPort()];
  const scanner = pool({
    endpoints: ports.map((port) => ({ address: port, sharesStore: false })),
    coolDownSeconds: 0.3,
  });
  const first = await scanner.scan({ content: eicar, timeoutSeconds: 5 });
  assert.equal(first.reason, 'AV_CLAMD_UNAVAILABLE');
  assert.equal(scanner.isAvailable(), true);
  await scanner.scan({ content: eicar, timeoutSeconds: 5 });
  assert.equal(scanner.isAvailable(), false);
  assert.deepEqual(
    scanner.states().map((state) => state.circuit),
    ['open', 'open'],
  );

  const started = Date.now();
  const fast = await scanner.scan({ content: eicar, timeoutSeconds: 5 });
  assert.ok(Date.now() - started < 50);
  assert.equal(fast.status, 'unscanned');
  assert.equal(fast.reason, 'AV_CLAMD_CIRCUIT_OPEN');

  let isResolved = false;
  const available = scanner.waitUntilAvailable().then(() => (isResolved = true));
  await new Promise((resolve) => setTimeout(resolve, 700));
  assert.equal(isResolved, false);
  const revived = await startScriptedServer(
    fakeClamd(() => 'PONG'),
    ports[1]!.port,
  );
  after(() => revived.close());
  await available;
  assert.equal(scanner.isAvailable(), true);
  assert.deepEqual(
    scanner.states().map((state) => state.circuit === 'closed'),
    [false, true],
  );
});

test('ClamdPool waitUntilAvailable stops on abort', async () => {
  const scanner = pool({
    endpoints: [{ address: await closedPort(), sharesStore: false }],
    failureThreshold: 1,
  });
  await scanner.scan({ content: eicar, timeoutSeconds: 5 });
  assert.equal(scanner.isAvailable(), false);
  const controller = new AbortController();
  const waiting = scanner.waitUntilAvailable(controller.signal);
  controller.abort(new Error('shutting down'));
  await assert.rejects(waiting, /shutting down/);
});

test('ClamdPool limits scans in flight per clamd', async () => {
  let active = 0;
  let maxActive = 0;
  const slow = await server((socket) =>
    socket.once('data', () => {
      active++;
      maxActive = Math.max(maxActive, active);
      setTimeout(() => {
        active--;
        socket.end('stream: OK\0');
      }, 100);
    }),
  );
  const scanner = pool({
    endpoints: [{ address: slow.address, sharesStore: false }],
    maxScansInFlight: 2,
  });
  const verdicts = await Promise.all(
    Array.from({ length: 6 }, () => scanner.scan({ content: eicar, timeoutSeconds: 5 })),
  );
  assert.ok(verdicts.every((verdict) => verdict.status === 'clean'));
  assert.equal(maxActive, 2);
  assert.equal(slow.accepted, 6);
});

test('ClamdPool counts waiting for a slot in the deadline', async () => {
  const slow = await server(fakeClamd(() => 'stream: OK', 400));
  const scanner = pool({
    endpoints: [{ address: slow.address, sharesStore: false }],
    maxScansInFlight: 1,
  });
  const started = Date.now();
  const [first, second] = await Promise.all([
    scanner.scan({ content: eicar, timeoutSeconds: 1 }),
    scanner.scan({ content: eicar, timeoutSeconds: 0.2 }),
  ]);
  assert.equal(first.status, 'clean');
  assert.equal(second.reason, 'AV_CLAMD_TIMEOUT');
  assert.ok(Date.now() - started < 600);
  assert.equal(scanner.isAvailable(), true);
});

test('ClamdPool spreads scans over idle clamds', async () => {
  const servers = [
    await server(fakeClamd(() => 'stream: OK', 100)),
    await server(fakeClamd(() => 'stream: OK', 100)),
  ];
  const scanner = pool({
    endpoints: servers.map((fake) => ({ address: fake.address, sharesStore: false })),
  });
  await Promise.all(
    Array.from({ length: 6 }, () => scanner.scan({ content: eicar, timeoutSeconds: 5 })),
  );
  assert.deepEqual(
    servers.map((fake) => fake.accepted),
    [3, 3],
  );
});

test('ClamdPool refresh reports every clamd', { skip }, async () => {
  const down = await closedPort();
  const scanner = pool({
    endpoints: [
      { address: address!, sharesStore: false },
      { address: down, sharesStore: false },
    ],
  });
  const before = scanner.signatureVersion();
  const [up, gone] = await scanner.refresh(2);
  assert.equal(up!.isUp, true);
  assert.match(up!.engineVersion ?? '', /^\d+\.\d+/);
  assert.equal(up!.circuit, 'closed');
  assert.equal(up!.scansInFlight, 0);
  assert.equal(gone!.isUp, false);
  assert.equal(gone!.engineVersion, undefined);
  assert.notEqual(scanner.signatureVersion(), before);
  assert.equal(await scanner.ping(1), true);
});

test('ClamdPool reports a new database version', async () => {
  let version = 'ClamAV 1.4.6/27496/Thu Dec  3 09:33:02 2026';
  const fake = await server(fakeClamd((command) => (command === 'PING' ? 'PONG' : version)));
  const scanner = pool({ endpoints: [{ address: fake.address, sharesStore: false }] });
  const [state] = await scanner.refresh(1);
  assert.equal(state!.databaseVersion, 27496);
  assert.equal(state!.databaseTime?.toISOString(), '2026-12-03T09:33:02.000Z');
  const token = scanner.signatureVersion();
  await scanner.refresh(1);
  assert.equal(scanner.signatureVersion(), token);
  version = 'ClamAV 1.4.6/27497/Fri Dec  4 09:33:02 2026';
  await scanner.refresh(1);
  assert.notEqual(scanner.signatureVersion(), token);
});

test('ClamdPool returns unscanned once closed', async () => {
  const silent = await server((socket) => socket.resume());
  const scanner = pool({ endpoints: [{ address: silent.address, sharesStore: false }] });
  const inFlight = scanner.scan({ content: eicar, timeoutSeconds: 10 });
  await new Promise((resolve) => setTimeout(resolve, 50));
  await scanner.close();
  const verdict = await inFlight;
  assert.equal(verdict.status, 'unscanned');
  assert.equal(verdict.reason, 'AV_CLAMD_UNAVAILABLE');
  assert.equal((await scanner.scan({ content: eicar, timeoutSeconds: 1 })).status, 'unscanned');
  await waitFor(() => silent.open === 0);
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) assert.fail('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
