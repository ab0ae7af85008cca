import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from './circuit-breaker.js';
import { CachingScanner } from './scan-cache.js';
import type { ScanRequest, Scanner } from './scanner.js';
import type { EngineVerdict } from './verdict.js';

class CountingScanner implements Scanner {
  calls = 0;
  version = 'v1';

  constructor(private readonly verdictFor: (content: string) => EngineVerdict) {}

  async scan(request: ScanRequest): Promise<EngineVerdict> {
    this.calls++;
    return this.verdictFor(request.content.toString());
  }

  async ping(): Promise<boolean> {
    return true;
  }

  signatureVersion(): string {
    return this.version;
  }

  isAvailable(): boolean {
    return true;
  }

  async waitUntilAvailable(): Promise<void> {}
}

function verdict(status: EngineVerdict['status'], names: string[] = []): EngineVerdict {
  return {
    status,
    names,
    reason: status === 'unscanned' ? 'AV_CLAMD_TIMEOUT' : undefined,
    detail: undefined,
  };
}

function request(text: string): ScanRequest {
  return { content: Buffer.from(text), timeoutSeconds: 5 };
}

test('CachingScanner reuses definitive verdicts', async () => {
  const inner = new CountingScanner((text) =>
    text === 'bad' ? verdict('infected', ['Eicar']) : verdict('clean'),
  );
  const lookups: boolean[] = [];
  const scanner = new CachingScanner(inner, { onLookup: (isHit) => lookups.push(isHit) });
  assert.equal((await scanner.scan(request('bad'))).status, 'infected');
  assert.equal((await scanner.scan(request('good'))).status, 'clean');
  const again = await scanner.scan(request('bad'));
  assert.deepEqual(again.names, ['Eicar']);
  assert.equal((await scanner.scan(request('good'))).status, 'clean');
  assert.equal(inner.calls, 2);
  assert.equal(scanner.hits, 2);
  assert.equal(scanner.misses, 2);
  assert.deepEqual(lookups, [false, false, true, true]);
});

test('CachingScanner never caches unscanned', async () => {
  const inner = new CountingScanner(() => verdict('unscanned'));
  const scanner = new CachingScanner(inner);
  await scanner.scan(request('x'));
  await scanner.scan(request('x'));
  assert.equal(inner.calls, 2);
  assert.equal(scanner.size, 0);
});

test('CachingScanner misses after a signature change', async () => {
  const inner = new CountingScanner(() => verdict('clean'));
  const scanner = new CachingScanner(inner);
  await scanner.scan(request('x'));
  inner.version = 'v2';
  await scanner.scan(request('x'));
  await scanner.scan(request('x'));
  assert.equal(inner.calls, 2);
  assert.equal(scanner.size, 1);
});

test('CachingScanner expires old verdicts', async () => {
  let now = 0;
  const clock: Clock = { now: () => now };
  const inner = new CountingScanner(() => verdict('clean'));
  const scanner = new CachingScanner(inner, { maxAgeSeconds: 10, clock });
  await scanner.scan(request('x'));
  now = 10_000;
  await scanner.scan(request('x'));
  now = 20_001;
  await scanner.scan(request('x'));
  assert.equal(inner.calls, 2);
});

test('CachingScanner returns copies of cached verdicts', async () => {
  const inner = new CountingScanner(() => verdict('infected', ['A']));
  const scanner = new CachingScanner(inner);
  (await scanner.scan(request('x'))).names.push('mutated');
  (await scanner.scan(request('x'))).names.push('mutated');
  assert.deepEqual((await scanner.scan(request('x'))).names, ['A']);
});

test('CachingScanner bounds its entries', async () => {
  const inner = new CountingScanner(() => verdict('clean'));
  const scanner = new CachingScanner(inner, { maxEntries: 3 });
  for (const text of ['a', 'b', 'c', 'd']) await scanner.scan(request(text));
  assert.equal(scanner.size, 3);
  await scanner.scan(request('a'));
  assert.equal(inner.calls, 5);
});
