import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRaw, testContext } from '../test/fixtures.js';
import { GTUBE } from './checks/gtube.js';
import { ScoringEngine } from './engine.js';
import type { Check } from './types.js';

const engine = new ScoringEngine();

const CASE_37 = Buffer.from(
  [
    'From: "ceo@example.com x"@example.net',
    'To: Recipient <recipient@example.com>',
    'Subject: quoted local part with an @ in From',
    'Date: Mon, 01 Jan 2024 10:00:00 +0000',
    'Message-ID: <quoted-at@example.net>',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'The sender domain of this message is example.net, not example.com.',
    GTUBE,
    '',
  ].join('\r\n'),
);

describe('ScoringEngine', () => {
  it('scores GTUBE as spam', async () => {
    const result = await engine.score(buildRaw({ body: `${GTUBE}\r\n` }), testContext());
    assert.equal(result.status, 'spam');
    assert.ok(result.score >= 1000);
    assert.equal(result.findings[0]?.check, 'gtube');
  });

  it('scores an ordinary message clean with score 0', async () => {
    const result = await engine.score(buildRaw(), testContext());
    assert.equal(result.status, 'clean');
    assert.equal(result.score, 0);
    assert.equal(result.reason, '');
  });

  it('ignores an allow list for the fake domain of a quoted local part', async () => {
    const context = testContext({
      mailFrom: '',
      policy: { senderAllowlist: ['example.com', 'ceo@example.com'] },
    });
    const result = await engine.score(CASE_37, context);
    assert.equal(result.status, 'spam');
    assert.ok(!result.findings.some((finding) => finding.name === 'SENDER_ALLOWLISTED'));
  });

  it('applies a block list to the real domain of a quoted local part', async () => {
    const context = testContext({ mailFrom: '', policy: { senderBlocklist: ['example.net'] } });
    assert.equal((await engine.score(CASE_37, context)).status, 'blacklisted');
  });

  it('makes an allow-listed sender clean despite GTUBE', async () => {
    const context = testContext({ policy: { senderAllowlist: ['example.org'] } });
    const result = await engine.score(buildRaw({ body: `${GTUBE}\r\n` }), context);
    assert.equal(result.status, 'clean');
  });

  it('reports probable spam between the thresholds', async () => {
    const raw = buildRaw({
      headers: { Date: null, 'Message-ID': null, Subject: 'WIN A FREE CRUISE TODAY' },
    });
    const result = await engine.score(raw, testContext());
    assert.equal(result.score, 3);
    assert.equal(result.status, 'probable_spam');
  });

  it('reports mass mailing below the thresholds', async () => {
    const result = await engine.score(
      buildRaw({ headers: { 'List-Unsubscribe': '<mailto:u@example.org>' } }),
      testContext(),
    );
    assert.equal(result.status, 'mass_mailing');
  });

  it('reports not_scanned for a message without header fields', async () => {
    const result = await engine.score(Buffer.from('no header here, just text\r\n'), testContext());
    assert.equal(result.status, 'not_scanned');
    assert.equal(result.reason, 'AS_PARSE_FAILED');
  });

  it('reports not_scanned when MIME nesting exceeds the parser limit', async () => {
    const depth = 80;
    const open = Array.from(
      { length: depth },
      (_, i) => `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`,
    ).join('');
    const raw = Buffer.from(`From: a@example.org\r\n${open}Content-Type: text/plain\r\n\r\nx\r\n`);
    const result = await engine.score(raw, testContext());
    assert.equal(result.status, 'not_scanned');
  });

  it('records a failing check and keeps the other findings', async () => {
    const broken: Check = {
      name: 'broken',
      run() {
        throw new Error('boom');
      },
    };
    const failed: string[] = [];
    const withBroken = new ScoringEngine(
      [
        broken,
        {
          name: 'gtube',
          run: () => [{ name: 'GTUBE', object: 'message', score: 1000, detail: '' }],
        },
      ],
      {
        onCheckFailed: (check) => failed.push(check),
      },
    );
    const result = await withBroken.score(buildRaw(), testContext());
    assert.equal(result.reason, 'AS_CHECK_FAILED');
    assert.deepEqual(result.failedChecks, ['broken']);
    assert.deepEqual(failed, ['broken']);
    assert.equal(result.status, 'spam');
  });

  it('fails a check that outlives the deadline', async () => {
    const slow: Check = { name: 'slow', run: () => new Promise(() => undefined) };
    // A referenced timer, unlike AbortSignal.timeout, keeps the test process alive meanwhile.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('deadline')), 20);
    const result = await new ScoringEngine([slow]).score(buildRaw(), {
      ...testContext(),
      signal: controller.signal,
    });
    clearTimeout(timer);
    assert.deepEqual(result.failedChecks, ['slow']);
  });
});
