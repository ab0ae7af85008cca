import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Direction, SpamAction, type PolicyOverride } from '@mailshield/proto/policy';
import { startTestInterceptor, type TestInterceptor } from '../support/harness.js';
import { SmtpTalk } from '../support/smtp-talk.js';

/** Builds an override for mail to `domain` that rejects spam. */
function strictOverride(domain: string): PolicyOverride {
  return {
    recipientDomain: domain,
    direction: Direction.DIRECTION_UNSPECIFIED,
    antivirus: undefined,
    antispam: {
      onSpam: SpamAction.SPAM_ACTION_REJECT,
      senderAllowlist: [],
      senderBlocklist: [],
      networkAllowlist: [],
      networkBlocklist: [],
    },
  };
}

async function transaction(port: number): Promise<SmtpTalk> {
  const talk = await SmtpTalk.open(port);
  assert.match(await talk.reply(), /^220 /);
  assert.match(await talk.command('EHLO client.example.org'), /^250/);
  assert.match(await talk.command('MAIL FROM:<sender@example.org>'), /^250 /);
  return talk;
}

describe('recipients under different policy overrides', () => {
  let interceptor: TestInterceptor;
  before(async () => {
    interceptor = await startTestInterceptor({
      policy: {
        relayDomains: ['example.com', 'example.net', 'strict.example'],
        overrides: [strictOverride('strict.example')],
      },
    });
  });
  after(() => interceptor.cleanup());

  test('other override group gets 452 4.5.3', async () => {
    const talk = await transaction(interceptor.smtpPort);
    assert.match(await talk.command('RCPT TO:<a@example.com>'), /^250 /);
    assert.match(await talk.command('RCPT TO:<b@example.net>'), /^250 /);
    assert.match(await talk.command('RCPT TO:<c@strict.example>'), /^452 4\.5\.3 /);
    assert.match(await talk.command('RCPT TO:<d@example.com>'), /^250 /);
    talk.close();
  });

  test('deferred recipient is accepted in a new transaction', async () => {
    const talk = await transaction(interceptor.smtpPort);
    assert.match(await talk.command('RCPT TO:<c@STRICT.example>'), /^250 /);
    assert.match(await talk.command('RCPT TO:<e@strict.example>'), /^250 /);
    assert.match(await talk.command('RCPT TO:<a@example.com>'), /^452 4\.5\.3 /);
    assert.match(await talk.command('RSET'), /^250 /);
    assert.match(await talk.command('MAIL FROM:<sender@example.org>'), /^250 /);
    assert.match(await talk.command('RCPT TO:<a@example.com>'), /^250 /);
    talk.close();
  });

  test('relay denial still wins over the group', async () => {
    const talk = await transaction(interceptor.smtpPort);
    assert.match(await talk.command('RCPT TO:<c@strict.example>'), /^250 /);
    assert.match(await talk.command('RCPT TO:<x@elsewhere.example>'), /^550 5\.7\.1 /);
    talk.close();
  });

  test('without overrides every domain shares one group', async () => {
    interceptor.policy.set({ ...interceptor.policy.current(), overrides: [] });
    const talk = await transaction(interceptor.smtpPort);
    assert.match(await talk.command('RCPT TO:<a@example.com>'), /^250 /);
    assert.match(await talk.command('RCPT TO:<c@strict.example>'), /^250 /);
    talk.close();
  });
});
