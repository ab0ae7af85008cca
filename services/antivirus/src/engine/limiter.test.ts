import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Limiter } from './limiter.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

test('limiter never runs more than its limit', async () => {
  const limiter = new Limiter(2);
  let running = 0;
  let maxRunning = 0;
  const task = async (): Promise<void> => {
    running++;
    maxRunning = Math.max(maxRunning, running);
    await new Promise((resolve) => setImmediate(resolve));
    running--;
  };
  // A newcomer arriving while a slot is handed over must not squeeze in.
  const first = Array.from({ length: 5 }, () => limiter.run(task));
  await new Promise((resolve) => setImmediate(resolve));
  const second = Array.from({ length: 5 }, () => limiter.run(task));
  await Promise.all([...first, ...second]);
  assert.equal(maxRunning, 2);
  assert.equal(limiter.inFlight, 0);
});

test('limiter drops an aborted waiter from the queue', async () => {
  const limiter = new Limiter(1);
  const gate = deferred();
  const running = limiter.run(() => gate.promise);
  const controller = new AbortController();
  const waiting = limiter.run(async () => 'ran', controller.signal);
  assert.equal(limiter.queued, 1);
  controller.abort(new Error('gave up'));
  await assert.rejects(waiting, /gave up/);
  assert.equal(limiter.queued, 0);
  gate.resolve();
  await running;
  assert.equal(await limiter.run(async () => 'next'), 'next');
  assert.equal(limiter.inFlight, 0);
});

test('limiter rejects at once with an aborted signal', async () => {
  const limiter = new Limiter(1);
  const gate = deferred();
  const running = limiter.run(() => gate.promise);
  await assert.rejects(
    limiter.run(async () => 1, AbortSignal.abort(new Error('late'))),
    /late/,
  );
  gate.resolve();
  await running;
});
