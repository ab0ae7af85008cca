import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker, type Clock } from './circuit-breaker.js';

function fakeClock(): Clock & { advance(ms: number): void } {
  let now = 1000;
  return { now: () => now, advance: (ms) => (now += ms) };
}

function breakerWithClock(): { breaker: CircuitBreaker; clock: ReturnType<typeof fakeClock> } {
  const clock = fakeClock();
  const breaker = new CircuitBreaker({
    failureThreshold: 3,
    coolDownSeconds: 5,
    maxCoolDownSeconds: 60,
    clock,
  });
  return { breaker, clock };
}

test('breaker opens after three failures in a row', () => {
  const { breaker } = breakerWithClock();
  breaker.recordFailure(breaker.tryAcquire());
  breaker.recordFailure(breaker.tryAcquire());
  assert.equal(breaker.state, 'closed');
  breaker.recordFailure(breaker.tryAcquire());
  assert.equal(breaker.state, 'open');
  assert.equal(breaker.tryAcquire(), undefined);
  assert.equal(breaker.msUntilProbe, 5000);
});

test('breaker counts only consecutive failures', () => {
  const { breaker } = breakerWithClock();
  breaker.recordFailure();
  breaker.recordFailure();
  breaker.recordSuccess();
  breaker.recordFailure();
  breaker.recordFailure();
  assert.equal(breaker.state, 'closed');
});

test('breaker lets one probe through after the cool-down', () => {
  const { breaker, clock } = breakerWithClock();
  for (let i = 0; i < 3; i++) breaker.recordFailure();
  clock.advance(4999);
  assert.equal(breaker.tryAcquire(), undefined);
  clock.advance(1);
  assert.equal(breaker.state, 'half-open');
  const probe = breaker.tryAcquire();
  assert.equal(probe?.isProbe, true);
  assert.equal(breaker.isProbeInFlight, true);
  assert.equal(breaker.tryAcquire(), undefined);
  breaker.recordSuccess();
  assert.equal(breaker.state, 'closed');
  assert.equal(breaker.tryAcquire()?.isProbe, false);
});

test('breaker doubles the cool-down while probes fail', () => {
  const { breaker, clock } = breakerWithClock();
  for (let i = 0; i < 3; i++) breaker.recordFailure();
  const coolDowns: number[] = [];
  for (let i = 0; i < 6; i++) {
    clock.advance(breaker.msUntilProbe);
    breaker.recordFailure(breaker.tryAcquire());
    coolDowns.push(breaker.msUntilProbe);
  }
  assert.deepEqual(coolDowns, [10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
});

test('breaker restarts from the base cool-down after closing', () => {
  const { breaker, clock } = breakerWithClock();
  for (let i = 0; i < 3; i++) breaker.recordFailure();
  clock.advance(5000);
  breaker.recordFailure(breaker.tryAcquire());
  clock.advance(10_000);
  breaker.tryAcquire();
  breaker.recordSuccess();
  for (let i = 0; i < 3; i++) breaker.recordFailure();
  assert.equal(breaker.msUntilProbe, 5000);
});

test('breaker ignores late failures while open', () => {
  const { breaker, clock } = breakerWithClock();
  const early = breaker.tryAcquire();
  for (let i = 0; i < 3; i++) breaker.recordFailure();
  clock.advance(1000);
  breaker.recordFailure(early);
  breaker.recordFailure();
  assert.equal(breaker.msUntilProbe, 4000);
});

test('breaker ignores a stale probe permit', () => {
  const { breaker, clock } = breakerWithClock();
  for (let i = 0; i < 3; i++) breaker.recordFailure();
  clock.advance(5000);
  const stale = breaker.tryAcquire()!;
  breaker.recordSuccess();
  for (let i = 0; i < 3; i++) breaker.recordFailure();
  clock.advance(5000);
  const current = breaker.tryAcquire()!;
  breaker.recordFailure(stale);
  breaker.release(stale);
  assert.equal(breaker.isProbeInFlight, true);
  breaker.recordFailure(current);
  assert.equal(breaker.msUntilProbe, 10_000);
});

test('breaker release frees the probe slot', () => {
  const { breaker, clock } = breakerWithClock();
  for (let i = 0; i < 3; i++) breaker.recordFailure();
  clock.advance(5000);
  const probe = breaker.tryAcquire()!;
  breaker.release(probe);
  assert.equal(breaker.isProbeInFlight, false);
  assert.equal(breaker.tryAcquire()?.isProbe, true);
});
