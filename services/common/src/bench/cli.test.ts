import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readBenchFlags, type EnvFlag } from './cli.js';

const FLAGS: Record<string, EnvFlag> = {
  messages: { env: 'BENCH_MESSAGES', type: 'string' },
  reference: { env: 'BENCH_REFERENCE', type: 'boolean' },
};

test('flags override the environment', () => {
  const reader = readBenchFlags(['--messages', '5', '--reference'], { BENCH_MESSAGES: '9' }, FLAGS);
  assert.notEqual(reader, 'help');
  if (reader === 'help') return;
  assert.equal(reader.integer('BENCH_MESSAGES', 1), 5);
  assert.equal(reader.boolean('BENCH_REFERENCE', false), true);
});

test('environment applies without flags', () => {
  const reader = readBenchFlags([], { BENCH_MESSAGES: '9' }, FLAGS);
  assert.notEqual(reader, 'help');
  if (reader === 'help') return;
  assert.equal(reader.integer('BENCH_MESSAGES', 1), 9);
  assert.equal(reader.boolean('BENCH_REFERENCE', false), false);
});

test('help flag returns help', () => {
  assert.equal(readBenchFlags(['--messages', '5', '--help'], {}, FLAGS), 'help');
});

test('unknown flag throws', () => {
  assert.throws(() => readBenchFlags(['--bogus'], {}, FLAGS), /--bogus/);
});
