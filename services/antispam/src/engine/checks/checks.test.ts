import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { htmlMessage, parse, testContext } from '../../test/fixtures.js';
import type { Check, Finding } from '../types.js';
import { bodyRulesCheck } from './body-rules.js';
import { GTUBE, gtubeCheck } from './gtube.js';
import { headerRulesCheck } from './header-rules.js';
import { massMailingCheck } from './mass-mailing.js';
import { obfuscationCheck } from './obfuscation.js';
import type { MessageSpec } from '../../test/fixtures.js';

async function ruleNames(check: Check, spec: MessageSpec): Promise<string[]> {
  const findings: Finding[] = await check.run(await parse(spec), testContext());
  return findings.map((finding) => finding.name);
}

/** Each rule with a message that fires it and an ordinary one that does not. */
const cases: { rule: string; check: Check; fires: MessageSpec; quiet: MessageSpec }[] = [
  {
    rule: 'SPACED_LETTERS',
    check: obfuscationCheck,
    fires: { body: 'Get your V I A G R A here\r\n' },
    quiet: { body: 'Run it with -w -u -d -r, as the U.S.A. team said\r\n' },
  },
  {
    rule: 'INVISIBLE_CHARACTERS',
    check: obfuscationCheck,
    fires: { body: 'fr\u200bee mo\u200bney fa\u200bst\r\n' },
    quiet: { body: 'free money fast\r\n' },
  },
  {
    rule: 'MIXED_SCRIPT_WORDS',
    check: obfuscationCheck,
    fires: { body: 'Your p\u0430ypal account needs \u0430ction now\r\n' },
    quiet: { body: 'Привет, see you at the paypal office\r\n' },
  },
  {
    rule: 'UTF7_CHARSET',
    check: obfuscationCheck,
    fires: { headers: { 'Content-Type': 'text/plain; charset=utf-7' } },
    quiet: { headers: { 'Content-Type': 'text/plain; charset=utf-8' } },
  },
  {
    rule: 'ENCODED_ASCII_SUBJECT',
    check: obfuscationCheck,
    fires: { headers: { Subject: '=?utf-8?B?RnJlZSBvZmZlcg==?=' } },
    quiet: { headers: { Subject: '=?utf-8?B?w6l0w6kgMjAyNg==?=' } },
  },
  { rule: 'GTUBE', check: gtubeCheck, fires: { body: `test\r\n${GTUBE}\r\n` }, quiet: {} },
  {
    rule: 'GTUBE',
    check: gtubeCheck,
    fires: {
      headers: { 'Content-Transfer-Encoding': 'base64' },
      body: Buffer.from(GTUBE).toString('base64'),
    },
    quiet: { body: 'XJS*C4JDBQADN1.NSBN3 is only half of it' },
  },
  { rule: 'MISSING_DATE', check: headerRulesCheck, fires: { headers: { Date: null } }, quiet: {} },
  {
    rule: 'MISSING_MESSAGE_ID',
    check: headerRulesCheck,
    fires: { headers: { 'Message-ID': null } },
    quiet: {},
  },
  { rule: 'MISSING_FROM', check: headerRulesCheck, fires: { headers: { From: null } }, quiet: {} },
  {
    rule: 'FROM_INVALID',
    check: headerRulesCheck,
    fires: { headers: { From: 'alice at example.org' } },
    quiet: {},
  },
  {
    rule: 'REPLY_TO_DOMAIN_DIFFERS',
    check: headerRulesCheck,
    fires: { headers: { 'Reply-To': 'collect@example.net' } },
    quiet: { headers: { 'Reply-To': 'Alice <alice+replies@example.org>' } },
  },
  {
    rule: 'REPLY_TO_DOMAIN_DIFFERS',
    check: headerRulesCheck,
    fires: { headers: { 'Reply-To': 'list@lists.example.net' } },
    quiet: {
      headers: { 'Reply-To': 'list@lists.example.net', 'List-Id': '<talk.lists.example.net>' },
    },
  },
  {
    rule: 'SUBJECT_UPPERCASE',
    check: headerRulesCheck,
    fires: { headers: { Subject: 'FREE VACATION FOR YOU TODAY' } },
    quiet: { headers: { Subject: 'Notes from the NATO and IETF meeting' } },
  },
  {
    rule: 'SUBJECT_PUNCTUATION',
    check: headerRulesCheck,
    fires: { headers: { Subject: 'Cheap meds!!! Buy now' } },
    quiet: { headers: { Subject: 'Lunch? It costs $12!' } },
  },
  {
    rule: 'SUBJECT_PUNCTUATION',
    check: headerRulesCheck,
    fires: { headers: { Subject: 'Earn $$$ from home' } },
    quiet: {},
  },
  {
    rule: 'BULK_MAILER',
    check: headerRulesCheck,
    fires: { headers: { 'X-Mailer': 'Gammadyne Mailer 42' } },
    quiet: { headers: { 'X-Mailer': 'Microsoft Outlook 16.0' } },
  },
  {
    rule: 'DATE_IN_FUTURE',
    check: headerRulesCheck,
    fires: { headers: { Date: 'Fri, 01 Jan 2027 10:00:00 +0000' } },
    quiet: { headers: { Date: 'Mon, 01 Jan 2024 12:00:00 +0200' } },
  },
  {
    rule: 'HTML_ONLY',
    check: bodyRulesCheck,
    fires: htmlMessage('<p>Hello Bob</p>'),
    quiet: {
      headers: { 'Content-Type': 'multipart/alternative; boundary="b1"' },
      body: '--b1\r\nContent-Type: text/plain\r\n\r\nHello Bob\r\n--b1\r\nContent-Type: text/html\r\n\r\n<p>Hello Bob</p>\r\n--b1--\r\n',
    },
  },
  {
    rule: 'MANY_URLS',
    check: bodyRulesCheck,
    fires: {
      body: Array.from({ length: 30 }, (_, i) => `https://shop${i}.example.net/item`).join('\r\n'),
    },
    quiet: { body: 'See https://example.org/minutes and https://example.org/agenda\r\n' },
  },
  {
    rule: 'URL_TEXT_MISMATCH',
    check: bodyRulesCheck,
    fires: htmlMessage('<a href="http://login.example.net/x">https://www.paypal.com/signin</a>'),
    quiet: htmlMessage(
      '<a href="https://www.example.org/a">www.example.org</a> <a href="http://example.net">our site</a>',
    ),
  },
  {
    rule: 'SPAM_PHRASE',
    check: bodyRulesCheck,
    fires: { body: 'Click here to claim it. To be removed from our list reply REMOVE.\r\n' },
    quiet: {},
  },
  {
    rule: 'BODY_SHOUTING',
    check: bodyRulesCheck,
    fires: { body: 'THIS OFFER IS ONLY FOR YOU AND ONLY TODAY. '.repeat(8) },
    quiet: { body: 'This offer is only for you and only today, says the NASA FAQ. '.repeat(8) },
  },
  {
    rule: 'LIST_UNSUBSCRIBE',
    check: massMailingCheck,
    fires: { headers: { 'List-Unsubscribe': '<https://news.example.org/u?id=1>' } },
    quiet: {},
  },
  {
    rule: 'PRECEDENCE_BULK',
    check: massMailingCheck,
    fires: { headers: { Precedence: 'bulk' } },
    quiet: { headers: { Precedence: 'list' } },
  },
];

describe('checks', () => {
  for (const { rule, check, fires, quiet } of cases) {
    it(`${check.name} fires ${rule}`, async () => {
      assert.ok((await ruleNames(check, fires)).includes(rule));
    });

    it(`${check.name} stays quiet without ${rule}`, async () => {
      assert.ok(!(await ruleNames(check, quiet)).includes(rule));
    });
  }

  it('ordinary message gets no finding', async () => {
    for (const check of [
      gtubeCheck,
      headerRulesCheck,
      bodyRulesCheck,
      obfuscationCheck,
      massMailingCheck,
    ]) {
      assert.deepEqual(await ruleNames(check, {}), [], check.name);
    }
  });

  it('spam phrases score once per phrase up to a cap', async () => {
    const body = 'click here, act now, order now, risk free, 100% free, no obligation\r\n';
    const findings = await bodyRulesCheck.run(await parse({ body }), testContext());
    const phrase = findings.find((finding) => finding.name === 'SPAM_PHRASE');
    assert.equal(phrase?.score, 2);
  });
});
