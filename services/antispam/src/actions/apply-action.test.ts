import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getHeader, headerEnd, readHeaders } from '@mailshield/common';
import { Disposition } from '@mailshield/proto/message';
import { SpamAction } from '@mailshield/proto/policy';
import { GTUBE } from '../engine/checks/gtube.js';
import { ScoringEngine, type ScoreResult } from '../engine/engine.js';
import { buildRaw, testContext, testPolicy } from '../test/fixtures.js';
import { applyAction, REJECT_REPLY } from './apply-action.js';

const engine = new ScoringEngine();

function bodyOf(raw: Buffer): Buffer {
  return raw.subarray(headerEnd(raw));
}

async function scoreSpam(raw: Buffer): Promise<ScoreResult> {
  return engine.score(raw, testContext());
}

const spamRaw = buildRaw({
  headers: {
    Subject: 'Important offer',
    'X-Spam-Flag': 'NO',
    'X-MS-Exchange-Organization-SCL': '-1',
  },
  body: `Dear user,\r\n${GTUBE}\r\n\r\n.\r\nno trailing newline`,
});

describe('applyAction', () => {
  it('adds the spam headers and keeps the body byte-identical', async () => {
    const result = await scoreSpam(spamRaw);
    const policy = testPolicy({ onSpam: SpamAction.SPAM_ACTION_ADD_HEADERS });
    const acted = applyAction(spamRaw, result, policy);
    assert.equal(acted.action, 'add_headers');
    assert.equal(acted.disposition, Disposition.DISPOSITION_DELIVER);
    assert.equal(getHeader(acted.raw, 'X-Spam-Flag'), 'YES');
    assert.equal(getHeader(acted.raw, 'X-Spam-Score'), String(result.score));
    assert.equal(getHeader(acted.raw, 'X-MS-Exchange-Organization-SCL'), '7');
    assert.match(
      getHeader(acted.raw, 'X-Spam-Status') ?? '',
      /^Yes, status=spam score=\d+ required=5$/,
    );
    assert.ok(bodyOf(acted.raw).equals(bodyOf(spamRaw)));
  });

  it('replaces spam headers that arrived with the message', async () => {
    const acted = applyAction(
      spamRaw,
      await scoreSpam(spamRaw),
      testPolicy({ onSpam: SpamAction.SPAM_ACTION_ADD_HEADERS }),
    );
    const names = readHeaders(acted.raw).map(([name]) => name.toLowerCase());
    assert.equal(names.filter((name) => name === 'x-spam-flag').length, 1);
    assert.equal(names.filter((name) => name === 'x-ms-exchange-organization-scl').length, 1);
  });

  it('lists each check that fired in the report header', async () => {
    const raw = buildRaw({
      headers: { Date: null, Subject: 'BIG NEWS FOR EVERYONE' },
      body: `${GTUBE}\r\n`,
    });
    const acted = applyAction(raw, await scoreSpam(raw), testPolicy());
    const report = getHeader(acted.raw, 'X-Mailshield-Spam-Report') ?? '';
    assert.match(report, /gtube=1000 \(GTUBE=1000\)/);
    assert.match(report, /headers=2 \(MISSING_DATE=1 SUBJECT_UPPERCASE=1\)/);
    assert.doesNotMatch(report, /body=/);
  });

  it('writes the report under the configured name', async () => {
    const raw = buildRaw({
      headers: { 'X-Spam-Report': 'forged: all clean' },
      body: `${GTUBE}\r\n`,
    });
    const policy = { ...testPolicy(), reportHeader: 'X-Spam-Report' };
    const acted = applyAction(raw, await scoreSpam(raw), policy);
    const names = readHeaders(acted.raw).map(([name]) => name.toLowerCase());
    assert.equal(names.filter((name) => name === 'x-spam-report').length, 1);
    assert.match(getHeader(acted.raw, 'X-Spam-Report') ?? '', /gtube=1000/);
    assert.equal(getHeader(acted.raw, 'X-Mailshield-Spam-Report'), undefined);
  });

  it('folds the report header into lines of at most 78 characters', async () => {
    const raw = buildRaw({
      headers: {
        Date: null,
        'Message-ID': null,
        Subject: 'WIN!!! $$$ NOW',
        'X-Mailer': 'Mass Mailer 3',
        'Reply-To': 'x@example.net',
      },
      body: `${GTUBE}\r\nCLICK HERE. ACT NOW. ORDER NOW. RISK FREE. 100% FREE.\r\n`,
    });
    const acted = applyAction(raw, await scoreSpam(raw), testPolicy());
    const head = acted.raw.subarray(0, headerEnd(acted.raw)).toString('latin1');
    for (const line of head.split('\r\n')) assert.ok(line.length <= 78, line);
  });

  it('tags the subject once and adds headers', async () => {
    const policy = testPolicy({ onSpam: SpamAction.SPAM_ACTION_TAG_SUBJECT, subjectTag: '[SPAM]' });
    const once = applyAction(spamRaw, await scoreSpam(spamRaw), policy);
    const twice = applyAction(once.raw, await scoreSpam(once.raw), policy);
    assert.equal(once.action, 'tag');
    assert.equal(getHeader(once.raw, 'Subject'), '[SPAM] Important offer');
    assert.equal(getHeader(twice.raw, 'Subject'), '[SPAM] Important offer');
    assert.equal(getHeader(once.raw, 'X-Spam-Flag'), 'YES');
    assert.ok(bodyOf(twice.raw).equals(bodyOf(spamRaw)));
  });

  it('leaves the message unchanged on skip', async () => {
    const acted = applyAction(
      spamRaw,
      await scoreSpam(spamRaw),
      testPolicy({ onSpam: SpamAction.SPAM_ACTION_SKIP }),
    );
    assert.equal(acted.action, 'skip');
    assert.ok(acted.raw.equals(spamRaw));
  });

  it('maps reject, delete and hold to dispositions that need a backup', async () => {
    const result = await scoreSpam(spamRaw);
    const expected = [
      [SpamAction.SPAM_ACTION_REJECT, 'reject', Disposition.DISPOSITION_REJECT, REJECT_REPLY],
      [SpamAction.SPAM_ACTION_DELETE, 'delete_message', Disposition.DISPOSITION_DELETE, ''],
      [SpamAction.SPAM_ACTION_HOLD, 'hold', Disposition.DISPOSITION_HOLD, ''],
    ] as const;
    for (const [onSpam, action, disposition, reply] of expected) {
      const acted = applyAction(spamRaw, result, testPolicy({ onSpam }));
      assert.equal(acted.action, action);
      assert.equal(acted.disposition, disposition);
      assert.equal(acted.reply, reply);
      assert.equal(acted.needsBackup, true);
      assert.ok(acted.raw.equals(spamRaw));
    }
  });

  it('marks clean mail with SCL 1, and allow-listed mail with SCL -1', async () => {
    const raw = buildRaw();
    const clean = applyAction(raw, await engine.score(raw, testContext()), testPolicy());
    assert.equal(getHeader(clean.raw, 'X-Spam-Flag'), 'NO');
    assert.equal(getHeader(clean.raw, 'X-MS-Exchange-Organization-SCL'), '1');
    const allowContext = testContext({ policy: { senderAllowlist: ['example.org'] } });
    const allowed = applyAction(raw, await engine.score(raw, allowContext), testPolicy());
    assert.equal(getHeader(allowed.raw, 'X-MS-Exchange-Organization-SCL'), '-1');
  });

  it('uses SCL 5 for probable spam and 9 for blacklisted', async () => {
    const probableRaw = buildRaw({
      headers: { Date: null, 'Message-ID': null, Subject: 'WIN A FREE CRUISE TODAY' },
    });
    const probable = applyAction(
      probableRaw,
      await engine.score(probableRaw, testContext()),
      testPolicy(),
    );
    assert.equal(getHeader(probable.raw, 'X-MS-Exchange-Organization-SCL'), '5');
    const blockContext = testContext({ policy: { senderBlocklist: ['example.org'] } });
    const policy = testPolicy({ onBlacklisted: SpamAction.SPAM_ACTION_ADD_HEADERS });
    const blocked = applyAction(buildRaw(), await engine.score(buildRaw(), blockContext), policy);
    assert.equal(getHeader(blocked.raw, 'X-MS-Exchange-Organization-SCL'), '9');
  });

  it('adds a not-scanned report when parsing failed', async () => {
    const raw = Buffer.from('no header here\r\n');
    const acted = applyAction(raw, await engine.score(raw, testContext()), testPolicy());
    assert.equal(getHeader(acted.raw, 'X-Spam-Status'), 'not_scanned reason=AS_PARSE_FAILED');
    assert.equal(getHeader(acted.raw, 'X-Spam-Flag'), undefined);
    assert.ok(acted.raw.subarray(acted.raw.length - raw.length).equals(raw));
  });
});
