import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StatusResponse } from '@mailshield/proto/integrity';
import { escapeUnsafe } from '../text.js';
import { formatKeyValues, formatTable, withFalseBooleans } from './format.js';

test('escapeUnsafe shows control characters', () => {
  assert.equal(escapeUnsafe('a\nb'), 'a\\x0Ab');
  assert.equal(escapeUnsafe('e\u001b[2Jx'), 'e\\x1B[2Jx');
  assert.equal(escapeUnsafe('del\u007f c1\u009b'), 'del\\x7F c1\\x9B');
  assert.equal(escapeUnsafe('bidi\u202Eexe'), 'bidi\\u{202E}exe');
  assert.equal(escapeUnsafe('Zoë 日本 @host'), 'Zoë 日本 @host');
  assert.equal(escapeUnsafe('one\ntwo\tthree\r', '\n\t'), 'one\ntwo\tthree\\x0D');
});

test('formatTable cannot add rows', () => {
  const table = formatTable(
    ['ACTOR', 'ACTION'],
    [['evil\n2026-01-01T00:00:00Z  root@vm', 'backup.show']],
  );
  const lines = table.split('\n');
  assert.equal(lines.length, 2);
  assert.equal(lines[1], 'evil\\x0A2026-01-01T00:00:00Z  root@vm  backup.show');
});

test('formatKeyValues escapes values', () => {
  assert.equal(formatKeyValues({ subject: 'a\u001b]0;x\u0007' }), 'subject  a\\x1B]0;x\\x07');
});

test('withFalseBooleans adds omitted false flags', () => {
  const status: StatusResponse = {
    policyVersion: 3,
    components: [
      {
        name: 'antivirus',
        address: '127.0.0.1:1',
        health: 'SERVING',
        detail: '',
        checkedAt: undefined,
        since: undefined,
        policyVersion: 3,
        dependencies: [],
        policyLagging: false,
        restartsInWindow: 0,
        lastRestartAt: undefined,
        lastAction: '',
        restartsAreDryRun: true,
      },
    ],
    leader: false,
    leaderIdentity: '',
    lastSelfTest: {
      passed: false,
      startedAt: new Date('2026-01-01T00:00:00Z'),
      finishedAt: undefined,
      checks: [{ name: 'eicar', passed: false, expected: 'held', got: 'delivered', seconds: 0 }],
      detail: '',
    },
  };
  const json = withFalseBooleans(StatusResponse.toJSON(status), status) as {
    leader: boolean;
    components: { policyLagging: boolean; restartsAreDryRun: boolean }[];
    lastSelfTest: { passed: boolean; startedAt: string; checks: { passed: boolean }[] };
  };
  assert.equal(json.leader, false);
  assert.equal(json.components[0]!.policyLagging, false);
  assert.equal(json.components[0]!.restartsAreDryRun, true);
  assert.equal(json.lastSelfTest.passed, false);
  assert.equal(json.lastSelfTest.checks[0]!.passed, false);
  assert.equal(json.lastSelfTest.startedAt, '2026-01-01T00:00:00.000Z');
});
