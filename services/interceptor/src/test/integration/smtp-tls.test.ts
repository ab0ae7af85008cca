import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import nodemailer from 'nodemailer';
import { Topics } from '@mailshield/common';
import { startTestInterceptor, topicRecords, type TestInterceptor } from '../support/harness.js';
import { SmtpTalk } from '../support/smtp-talk.js';
import { createSelfSignedCert } from '../support/tls-cert.js';

describe('STARTTLS with a configured certificate', () => {
  let interceptor: TestInterceptor;
  let certDir: string;
  before(async () => {
    certDir = await mkdtemp(join(tmpdir(), 'mailshield-cert-'));
    const { certFile, keyFile } = createSelfSignedCert(certDir);
    interceptor = await startTestInterceptor({
      options: { tlsCertFile: certFile, tlsKeyFile: keyFile },
    });
  });
  after(async () => {
    await interceptor.cleanup();
    await rm(certDir, { recursive: true, force: true });
  });

  test('client sends mail over STARTTLS', async () => {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: interceptor.smtpPort,
      secure: false,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
    });
    const info = await transport.sendMail({
      envelope: { from: 'sender@example.org', to: ['b@example.com'] },
      raw: 'Subject: over tls\r\n\r\nhello\r\n',
    });
    transport.close();
    assert.match(info.response, /^250 2\.0\.0 Ok: queued as /);
    const records = topicRecords(interceptor.bus, Topics.inbound);
    const record = records[records.length - 1]!;
    assert.equal(record.envelope?.tls, true);
    assert.match(record.raw.toString('latin1'), /with ESMTPS/);
  });

  test('commands pipelined after STARTTLS are discarded', async () => {
    const talk = await SmtpTalk.open(interceptor.smtpPort);
    await talk.reply();
    assert.match(await talk.command('EHLO client.example.org'), /STARTTLS/);
    talk.write('STARTTLS\r\nMAIL FROM:<injected@example.net>\r\n');
    assert.match(await talk.reply(), /^220 /);
    await talk.startTls();
    assert.ok(await talk.isSilent(300), 'server sent data over TLS before the first command');
    assert.match(await talk.command('EHLO client.example.org'), /^250/);
    assert.match(await talk.command('RCPT TO:<b@example.com>'), /^503 /);
    assert.match(await talk.command('MAIL FROM:<sender@example.org>'), /^250 /);
    talk.close();
  });
});

describe('STARTTLS without a certificate', () => {
  let interceptor: TestInterceptor;
  before(async () => {
    interceptor = await startTestInterceptor();
  });
  after(() => interceptor.cleanup());

  test('STARTTLS is refused', async () => {
    const talk = await SmtpTalk.open(interceptor.smtpPort);
    await talk.reply();
    await talk.command('EHLO client.example.org');
    assert.match(await talk.command('STARTTLS'), /^5\d\d /);
    talk.close();
  });
});
