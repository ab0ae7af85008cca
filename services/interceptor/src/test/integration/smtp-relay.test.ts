import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestInterceptor, type TestInterceptor } from '../support/harness.js';
import { SmtpTalk } from '../support/smtp-talk.js';

async function session(port: number): Promise<SmtpTalk> {
  const talk = await SmtpTalk.open(port);
  assert.match(await talk.reply(), /^220 /);
  assert.match(await talk.command('EHLO client.example.org'), /^250/);
  return talk;
}

describe('relay control from an untrusted client', () => {
  let interceptor: TestInterceptor;
  before(async () => {
    interceptor = await startTestInterceptor({
      policy: { relayDomains: ['Example.com', 'bücher.example'] },
    });
  });
  after(() => interceptor.cleanup());

  test('foreign domain gets 550 5.7.1', async () => {
    const talk = await session(interceptor.smtpPort);
    assert.match(await talk.command('MAIL FROM:<sender@example.org>'), /^250 /);
    assert.equal(
      await talk.command('RCPT TO:<victim@example.net>'),
      '550 5.7.1 Relaying denied for <example.net>',
    );
    talk.close();
  });

  test('IDN domain is named in punycode', async () => {
    const talk = await session(interceptor.smtpPort);
    await talk.command('MAIL FROM:<sender@example.org>');
    assert.equal(
      await talk.command('RCPT TO:<user@xn--exmple-cua.com>'),
      '550 5.7.1 Relaying denied for <xn--exmple-cua.com>',
    );
    talk.close();
  });

  test('relay domain is accepted in any case', async () => {
    const talk = await session(interceptor.smtpPort);
    await talk.command('MAIL FROM:<sender@example.org>');
    assert.match(await talk.command('RCPT TO:<user@EXAMPLE.COM>'), /^250 2\.1\.5 /);
    assert.match(await talk.command('RCPT TO:<user@xn--bcher-kva.example>'), /^250 2\.1\.5 /);
    talk.close();
  });

  test('subdomain of a relay domain is denied', async () => {
    const talk = await session(interceptor.smtpPort);
    await talk.command('MAIL FROM:<sender@example.org>');
    assert.match(await talk.command('RCPT TO:<user@mail.example.com>'), /^550 5\.7\.1 /);
    talk.close();
  });

  test('source route in the local part is refused', async () => {
    const talk = await session(interceptor.smtpPort);
    await talk.command('MAIL FROM:<sender@example.org>');
    assert.match(await talk.command('RCPT TO:<user%evil.test@example.com>'), /^550 5\.7\.1 /);
    assert.match(await talk.command('RCPT TO:<evil.test!user@example.com>'), /^550 5\.7\.1 /);
    talk.close();
  });

  test('domainless postmaster is accepted', async () => {
    const talk = await session(interceptor.smtpPort);
    await talk.command('MAIL FROM:<sender@example.org>');
    assert.match(await talk.command('RCPT TO:<Postmaster>'), /^250 2\.1\.5 /);
    talk.close();
  });

  test('recipient 101 gets 452 4.5.3', async () => {
    const talk = await session(interceptor.smtpPort);
    await talk.command('MAIL FROM:<sender@example.org>');
    for (let i = 0; i < 100; i += 1) {
      assert.match(await talk.command(`RCPT TO:<user${i}@example.com>`), /^250 /);
    }
    assert.match(await talk.command('RCPT TO:<user100@example.com>'), /^452 4\.5\.3 /);
    talk.close();
  });

  test('null and malformed recipients get 501 5.1.3', async () => {
    const talk = await session(interceptor.smtpPort);
    await talk.command('MAIL FROM:<sender@example.org>');
    assert.match(await talk.command('RCPT TO:<>'), /^501 5\.1\.3 /);
    assert.match(await talk.command('RCPT TO:<user@@example.com>'), /^501 5\.1\.3 /);
    assert.match(await talk.command('RCPT TO:user@example.com'), /^501 5\.1\.3 /);
    talk.close();
  });

  test('pipelined DATA without a valid recipient is refused', async () => {
    const talk = await session(interceptor.smtpPort);
    talk.write('MAIL FROM:<sender@example.org>\r\nRCPT TO:<>\r\nDATA\r\n');
    assert.match(await talk.reply(), /^250 /);
    assert.match(await talk.reply(), /^501 5\.1\.3 /);
    assert.match(await talk.reply(), /^503 5\.5\.1 /);
    talk.close();
  });

  test('EHLO offers SIZE but no AUTH, STARTTLS or CHUNKING', async () => {
    const talk = await SmtpTalk.open(interceptor.smtpPort);
    await talk.reply();
    const ehlo = await talk.command('EHLO client.example.org');
    assert.match(ehlo, /250[- ]SIZE 26214400/);
    assert.match(ehlo, /250[- ]ENHANCEDSTATUSCODES/);
    assert.doesNotMatch(ehlo, /AUTH/);
    assert.doesNotMatch(ehlo, /STARTTLS/);
    assert.doesNotMatch(ehlo, /CHUNKING/);
    talk.close();
  });

  test('BDAT is not a command', async () => {
    const talk = await session(interceptor.smtpPort);
    await talk.command('MAIL FROM:<sender@example.org>');
    await talk.command('RCPT TO:<user@example.com>');
    assert.match(await talk.command('BDAT 4 LAST'), /^5\d\d /);
    talk.close();
  });
});

describe('relay control from a trusted network', () => {
  let interceptor: TestInterceptor;
  before(async () => {
    interceptor = await startTestInterceptor({
      policy: { trustedNetworks: ['10.0.0.0/8', '127.0.0.0/8'] },
    });
  });
  after(() => interceptor.cleanup());

  test('trusted client may relay to any domain', async () => {
    const talk = await session(interceptor.smtpPort);
    await talk.command('MAIL FROM:<app@example.com>');
    assert.match(await talk.command('RCPT TO:<someone@example.net>'), /^250 2\.1\.5 /);
    talk.close();
  });

  test('policy change applies to the next command', async () => {
    interceptor.policy.set({
      ...interceptor.policy.current(),
      trustedNetworks: ['::ffff:10.0.0.0/104'],
    });
    const talk = await session(interceptor.smtpPort);
    await talk.command('MAIL FROM:<app@example.com>');
    assert.match(await talk.command('RCPT TO:<someone@example.net>'), /^550 5\.7\.1 /);
    talk.close();
  });
});

describe('size limit on Kafka', () => {
  let interceptor: TestInterceptor;

  before(async () => {
    interceptor = await startTestInterceptor({
      options: {
        bus: {
          kind: 'kafka',
          brokers: ['127.0.0.1:9'],
          clientId: 'unused',
          partitions: 1,
          maxRecordBytes: 3 * 1024 * 1024,
        },
      },
    });
  });

  after(() => interceptor.cleanup());

  test('SIZE is capped by the Kafka record limit', async () => {
    const talk = await SmtpTalk.open(interceptor.smtpPort);
    await talk.reply();
    const ehlo = await talk.command('EHLO client.example.org');
    assert.match(ehlo, /250[- ]SIZE 2097152\b/);
    const mail = await talk.command('MAIL FROM:<sender@example.org> SIZE=3000000');
    assert.match(mail, /^552 5\.3\.4 /);
    talk.close();
  });
});
