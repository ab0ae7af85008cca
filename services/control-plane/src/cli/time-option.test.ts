import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from './args.js';
import { parseTimeOption } from './time-option.js';

const now = new Date('2024-05-10T12:00:00Z');

test('parseTimeOption reads spans back from now', () => {
  assert.equal(
    parseTimeOption('24h', '--since', 'backup list', now)?.toISOString(),
    '2024-05-09T12:00:00.000Z',
  );
  assert.equal(
    parseTimeOption('7d', '--since', 'backup list', now)?.toISOString(),
    '2024-05-03T12:00:00.000Z',
  );
  assert.equal(
    parseTimeOption('30m', '--since', 'backup list', now)?.toISOString(),
    '2024-05-10T11:30:00.000Z',
  );
});

test('parseTimeOption reads ISO times', () => {
  assert.equal(
    parseTimeOption('2024-05-01T10:00:00Z', '--until', 'backup list', now)?.toISOString(),
    '2024-05-01T10:00:00.000Z',
  );
  assert.equal(
    parseTimeOption('2024-05-01T10:00:00+02:00', '--until', 'backup list', now)?.toISOString(),
    '2024-05-01T08:00:00.000Z',
  );
  assert.equal(
    parseTimeOption('2024-05-01', '--until', 'backup list', now)?.toISOString(),
    '2024-05-01T00:00:00.000Z',
  );
});

test('parseTimeOption without a value is undefined', () => {
  assert.equal(parseTimeOption(undefined, '--since', 'backup list', now), undefined);
});

test('parseTimeOption rejects other text', () => {
  for (const value of ['yesterday', '24 h', '-1d', '2024-13-45', '5y']) {
    assert.throws(
      () => parseTimeOption(value, '--since', 'backup list', now),
      (err: unknown) => {
        assert.ok(err instanceof UsageError);
        assert.match(err.message, /^--since must be an ISO time/);
        assert.equal(err.commandPath, 'backup list');
        return true;
      },
      value,
    );
  }
});
