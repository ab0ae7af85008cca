import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatSelfTest } from './status-commands.js';

const at = new Date('2026-01-02T03:04:05.678Z');

test('self-test line when passed', () => {
  const line = formatSelfTest({
    passed: true,
    startedAt: at,
    finishedAt: at,
    checks: [
      { name: 'eicar', passed: true, expected: 'antivirus: infected', got: '', seconds: 1 },
      { name: 'gtube', passed: true, expected: 'antispam: spam', got: '', seconds: 1 },
    ],
    detail: '',
  });
  assert.equal(line, 'last self-test: passed at 2026-01-02T03:04:05Z: eicar passed, gtube passed');
});

test('self-test line when failed', () => {
  const line = formatSelfTest({
    passed: false,
    startedAt: at,
    finishedAt: at,
    checks: [
      { name: 'eicar', passed: false, expected: 'antivirus: infected', got: 'clean', seconds: 1 },
    ],
    detail: 'interceptor unreachable',
  });
  assert.equal(
    line,
    'last self-test: FAILED at 2026-01-02T03:04:05Z: eicar failed (got clean); interceptor unreachable',
  );
});
