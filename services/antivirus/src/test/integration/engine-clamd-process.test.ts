import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ClamdClient } from '../../engine/clamd-client.js';
import { ClamdError } from '../../engine/clamd-error.js';
import { ClamdPool } from '../../engine/clamd-pool.js';
import { clamdBinary, deflatedZip, EICAR, startClamd, type ClamdProcess } from '../helpers.js';

const { skip } = clamdBinary();
const eicar = Buffer.from(EICAR, 'latin1');
const started: ClamdProcess[] = [];

async function clamd(config: string[] = []): Promise<ClamdProcess> {
  const process = await startClamd(config);
  started.push(process);
  return process;
}

function poolFor(process: ClamdProcess, maxScansInFlight = 8): ClamdPool {
  const pool = new ClamdPool({
    endpoints: [{ address: process.address, sharesStore: false }],
    maxScansInFlight,
    refreshIntervalSeconds: 0,
  });
  after(() => pool.close());
  return pool;
}

after(async () => {
  await Promise.all(started.map((process) => process.stop()));
});

test('ClamdPool keeps definite verdicts through RELOAD', { skip }, async () => {
  const process = await clamd();
  const pool = poolFor(process);
  let isScanning = true;
  const replies: string[] = [];
  const reloading = (async () => {
    while (isScanning) {
      replies.push(await process.command('RELOAD'));
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
  })();
  const wrong: string[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async (_, worker) => {
      for (let index = 0; index < 60; index++) {
        const isEicar = index % 2 === 0;
        const content = isEicar ? eicar : randomBytes(32 * 1024);
        const verdict = await pool.scan({ content, timeoutSeconds: 20 });
        const expected = isEicar ? 'infected' : 'clean';
        if (verdict.status !== expected)
          wrong.push(`${worker}/${index}: ${JSON.stringify(verdict)}`);
      }
    }),
  );
  isScanning = false;
  await reloading;
  assert.deepEqual(wrong, []);
  assert.ok(replies.length >= 5, `only ${replies.length} reloads`);
  assert.ok(
    replies.every((reply) => reply === 'RELOADING'),
    replies.join(','),
  );
});

test('ClamdPool never reports clean when clamd dies mid-scan', { skip }, async () => {
  const process = await clamd();
  const pool = poolFor(process, 16);
  // Each archive is infected, so a verdict of clean could only come from a scan cut short.
  const archives = Array.from({ length: 16 }, () =>
    deflatedZip([
      { name: 'noise.bin', content: randomBytes(4 * 1024 * 1024) },
      { name: 'eicar.com', content: eicar },
    ]),
  );
  const scans = archives.map((content) => pool.scan({ content, timeoutSeconds: 20 }));
  // clamd runs 10 scans at a time by default, so when the first verdict arrives the others
  // are being sent, queued or scanned.
  const first = await Promise.race(scans);
  process.process.kill('SIGKILL');
  const verdicts = await Promise.all(scans);
  assert.equal(first.status, 'infected');
  const statuses = verdicts.map((verdict) => verdict.status);
  assert.ok(
    statuses.every((status) => status === 'infected' || status === 'unscanned'),
    statuses.join(','),
  );
  const unscanned = verdicts.filter((verdict) => verdict.status === 'unscanned');
  assert.ok(unscanned.length > 0, statuses.join(','));
  for (const verdict of unscanned) assert.equal(verdict.reason, 'AV_CLAMD_UNAVAILABLE');
});

test('ClamdClient reports the stream size limit', { skip }, async () => {
  const process = await clamd(['StreamMaxLength 1M']);
  const client = new ClamdClient(process.address);
  // Small overruns get clamd's reply; larger ones lose it to the reset and need the check.
  for (const megabytes of [1.5, 5, 20]) {
    for (let round = 0; round < 2; round++) {
      const content = randomBytes(megabytes * 1024 * 1024);
      const error = await client.scanStream(content, { timeoutMs: 20_000 }).then(
        () => assert.fail(`${megabytes} MB was accepted`),
        (err: unknown) => err,
      );
      assert.ok(error instanceof ClamdError, String(error));
      assert.equal(error.kind, 'sizeLimit', `${megabytes} MB: ${error.message}`);
    }
  }
  assert.deepEqual(await client.scanStream(randomBytes(1024 * 1024), { timeoutMs: 20_000 }), []);
});

test('ClamdPool does not retry the stream size limit', { skip }, async () => {
  const process = await clamd(['StreamMaxLength 1M']);
  const pool = poolFor(process);
  for (let round = 0; round < 4; round++) {
    const verdict = await pool.scan({ content: randomBytes(5 * 1024 * 1024), timeoutSeconds: 20 });
    assert.equal(verdict.status, 'unscanned');
    assert.equal(verdict.reason, 'AV_LIMITS_EXCEEDED');
  }
  assert.equal(pool.states()[0]!.circuit, 'closed');
  assert.equal(pool.isAvailable(), true);
});
