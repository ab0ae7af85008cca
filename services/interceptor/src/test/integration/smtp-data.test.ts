import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Topics } from '@mailshield/common';
import { Disposition, QueueMode, RecordKind, Stage } from '@mailshield/proto/message';
import { readHeaders } from '@mailshield/common';
import { startTestInterceptor, topicRecords, type TestInterceptor } from '../support/harness.js';
import { SmtpTalk } from '../support/smtp-talk.js';

const HEAD = 'From: a@example.org\r\nTo: b@example.com\r\nSubject: test\r\n\r\n';

async function openTransaction(
  port: number,
  helo = 'client.example.org',
  from = 'sender@example.org',
): Promise<SmtpTalk> {
  const talk = await SmtpTalk.open(port);
  await talk.reply();
  await talk.command(`EHLO ${helo}`);
  assert.match(await talk.command(`MAIL FROM:<${from}>`), /^250 /);
  assert.match(await talk.command('RCPT TO:<b@example.com>'), /^250 /);
  assert.match(await talk.command('DATA'), /^354 /);
  return talk;
}

describe('end of DATA in after-queue mode', () => {
  let interceptor: TestInterceptor;
  before(async () => {
    interceptor = await startTestInterceptor({ policy: { maxMessageBytes: 2000 } });
  });
  after(() => interceptor.cleanup());

  test('message is published before 250', async () => {
    const before = topicRecords(interceptor.bus, Topics.inbound).length;
    const talk = await openTransaction(interceptor.smtpPort);
    talk.write(`${HEAD}line one\r\n..dot line\r\n.\r\n`);
    const reply = await talk.reply();
    const match = /^250 2\.0\.0 Ok: queued as ([0-9a-f-]{36})$/.exec(reply);
    assert.ok(match, reply);
    const records = topicRecords(interceptor.bus, Topics.inbound);
    assert.equal(records.length, before + 1);
    const record = records[records.length - 1]!;
    assert.equal(record.id, match[1]);
    assert.equal(record.kind, RecordKind.RECORD_KIND_MESSAGE);
    assert.equal(record.queueMode, QueueMode.QUEUE_MODE_AFTER_QUEUE);
    assert.equal(record.disposition, Disposition.DISPOSITION_DELIVER);
    assert.equal(record.sessionInstance, 'interceptor-test');
    assert.equal(record.envelope?.mailFrom, 'sender@example.org');
    assert.deepEqual(record.envelope?.rcptTo, ['b@example.com']);
    assert.equal(record.envelope?.helo, 'client.example.org');
    assert.equal(record.envelope?.tls, false);
    assert.equal(record.envelope?.outbound, false);
    assert.equal(record.outcomes[0]?.stage, Stage.STAGE_INTERCEPTOR);
    assert.equal(record.outcomes[0]?.status, 'accepted');
    const raw = record.raw.toString('latin1');
    assert.match(
      raw,
      /^Received: from client\.example\.org \(\[127\.0\.0\.1\]\)\r\n\tby mx\.test\.invalid/,
    );
    assert.ok(raw.endsWith(`${HEAD}line one\r\n.dot line\r\n`), raw);
    talk.close();
  });

  test('NUL bytes are kept', async () => {
    const talk = await openTransaction(interceptor.smtpPort);
    talk.write(Buffer.from(`${HEAD}before \u0000 after\r\nlast\r\n.\r\n`, 'latin1'));
    assert.match(await talk.reply(), /^250 /);
    const records = topicRecords(interceptor.bus, Topics.inbound);
    const raw = records[records.length - 1]!.raw.toString('latin1');
    assert.ok(raw.endsWith(`${HEAD}before \u0000 after\r\nlast\r\n`));
    talk.close();
  });

  test('MAIL FROM with a SIZE over the limit gets 552 5.3.4', async () => {
    const talk = await SmtpTalk.open(interceptor.smtpPort);
    await talk.reply();
    await talk.command('EHLO client.example.org');
    assert.match(await talk.command('MAIL FROM:<sender@example.org> SIZE=2001'), /^552 5\.3\.4 /);
    talk.close();
  });

  test('DATA over the limit gets 552 5.3.4 and is not published', async () => {
    const before = topicRecords(interceptor.bus, Topics.inbound).length;
    const talk = await openTransaction(interceptor.smtpPort);
    talk.write(`${HEAD}${'x'.repeat(78)}\r\n`.repeat(40) + '.\r\n');
    assert.match(await talk.reply(), /^552 5\.3\.4 /);
    assert.equal(topicRecords(interceptor.bus, Topics.inbound).length, before);
    assert.match(await talk.command('NOOP'), /^250 /);
    talk.close();
  });

  test('bare LF smuggling yields no message', async () => {
    const before = topicRecords(interceptor.bus, Topics.inbound).length;
    const talk = await openTransaction(interceptor.smtpPort);
    talk.write(
      `${HEAD}outer body\n.\r\nMAIL FROM:<ceo@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n` +
        'Subject: SMUGGLED\r\n\r\nsecond\r\n.\r\nQUIT\r\n',
    );
    assert.match(await talk.reply(), /^550 5\.6\.0 /);
    assert.match(await talk.reply(), /^221 /);
    assert.equal(topicRecords(interceptor.bus, Topics.inbound).length, before);
    talk.close();
  });

  test('HELO and MAIL FROM cannot inject a header', async () => {
    const talk = await SmtpTalk.open(interceptor.smtpPort);
    await talk.reply();
    talk.write('EHLO client.example.org\nX-Injected-Helo: yes\r\n');
    await talk.reply();
    await talk.reply();
    await talk.command('EHLO client.example.org\rX-Injected-Cr: yes');
    await talk.command('MAIL FROM:<"=?utf-8?q?x=0D=0AX-Injected-From:_yes?="@example.org>');
    assert.match(await talk.command('RCPT TO:<b@example.com>'), /^250 /);
    assert.match(await talk.command('DATA'), /^354 /);
    talk.write(`${HEAD}body\r\n.\r\n`);
    assert.match(await talk.reply(), /^250 /);
    const records = topicRecords(interceptor.bus, Topics.inbound);
    const names = readHeaders(records[records.length - 1]!.raw).map(([name]) => name.toLowerCase());
    assert.deepEqual(names, ['received', 'from', 'to', 'subject']);
    talk.close();
  });

  test('publish failure gets 451 and never 250', async () => {
    interceptor.bus.publishError = new Error('publish failed');
    try {
      const talk = await openTransaction(interceptor.smtpPort);
      talk.write(`${HEAD}body\r\n.\r\n`);
      assert.equal(await talk.reply(), '451 4.3.0 Temporary failure, try again later');
      talk.close();
    } finally {
      interceptor.bus.publishError = undefined;
    }
  });
});
