import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Topics } from '@mailshield/common';
import { startTestInterceptor, topicRecords, type TestInterceptor } from '../support/harness.js';
import { SmtpTalk } from '../support/smtp-talk.js';

/** 127.0.0.0/8 plays the cluster network: every test client connects from 127.0.0.1. */
const CLUSTER = ['127.0.0.0/8'];
const TRUSTED = ['198.51.100.0/24', '127.0.0.0/8'];
const GUARD_REPLY =
  /^550 5\.7\.1 Relaying denied for <example\.net>: .* so the client address is unknown and trusted networks do not apply/;

/** Opens a session, sending `proxyLine` first when given, and sends EHLO. */
async function session(port: number, proxyLine?: string): Promise<SmtpTalk> {
  const talk = await SmtpTalk.open(port);
  if (proxyLine !== undefined) talk.write(`${proxyLine}\r\n`);
  assert.match(await talk.reply(), /^220 /);
  assert.match(await talk.command('EHLO client.example.org'), /^250/);
  return talk;
}

async function sendOne(talk: SmtpTalk, recipient: string): Promise<void> {
  assert.match(await talk.command('MAIL FROM:<sender@example.org>'), /^250 /);
  assert.match(await talk.command(`RCPT TO:<${recipient}>`), /^250 /);
  assert.match(await talk.command('DATA'), /^354 /);
  assert.match(await talk.command('Subject: proxy\r\n\r\nhello\r\n.'), /^250 /);
}

async function metricsText(interceptor: TestInterceptor): Promise<string> {
  return interceptor.service.registry.metrics();
}

describe('PROXY protocol on', () => {
  let interceptor: TestInterceptor;
  before(async () => {
    interceptor = await startTestInterceptor({
      policy: { trustedNetworks: TRUSTED },
      options: { proxyProtocol: true, clusterNetworks: CLUSTER },
    });
  });
  after(() => interceptor.cleanup());

  test('PROXY header address decides relaying', async () => {
    const trusted = await session(
      interceptor.smtpPort,
      'PROXY TCP4 198.51.100.7 10.0.0.1 40000 25',
    );
    await trusted.command('MAIL FROM:<app@example.com>');
    assert.match(await trusted.command('RCPT TO:<someone@example.net>'), /^250 2\.1\.5 /);
    trusted.close();
    const outsider = await session(
      interceptor.smtpPort,
      'PROXY TCP4 203.0.113.9 10.0.0.1 40000 25',
    );
    await outsider.command('MAIL FROM:<sender@example.org>');
    assert.equal(
      await outsider.command('RCPT TO:<someone@example.net>'),
      '550 5.7.1 Relaying denied for <example.net>',
    );
    outsider.close();
  });

  test('PROXY address in Received and envelope', async () => {
    const talk = await session(interceptor.smtpPort, 'PROXY TCP4 203.0.113.9 10.0.0.1 40000 25');
    await sendOne(talk, 'user@example.com');
    talk.close();
    const record = topicRecords(interceptor.bus, Topics.inbound).at(-1)!;
    assert.equal(record.envelope?.clientAddress, '203.0.113.9');
    assert.match(
      record.raw.toString('latin1'),
      /^Received: from client\.example\.org \(\[203\.0\.113\.9\]\)/,
    );
  });

  test('connection without the PROXY header is closed', async () => {
    const talk = await SmtpTalk.open(interceptor.smtpPort);
    talk.write('EHLO client.example.org\r\n');
    assert.equal(await talk.untilClosed(), '* BAD Invalid PROXY header\r\n');
  });

  test('PROXY UNKNOWN gets the relay domains only', async () => {
    const talk = await session(interceptor.smtpPort, 'PROXY UNKNOWN');
    await talk.command('MAIL FROM:<app@example.com>');
    const reply = await talk.command('RCPT TO:<someone@example.net>');
    assert.match(reply, GUARD_REPLY);
    assert.match(reply, /PROXY header named no client address \(PROXY UNKNOWN\)/);
    assert.doesNotMatch(reply, /MAILSHIELD_SMTP_PROXY_PROTOCOL/);
    assert.match(await talk.command('RCPT TO:<user@example.com>'), /^250 2\.1\.5 /);
    assert.match(await talk.command('DATA'), /^354 /);
    assert.match(await talk.command('Subject: unknown\r\n\r\nhello\r\n.'), /^250 /);
    talk.close();
    const record = topicRecords(interceptor.bus, Topics.inbound).at(-1)!;
    assert.equal(record.envelope?.clientAddress, '');
    assert.equal(record.envelope?.outbound, false);
    assert.match(
      record.raw.toString('latin1'),
      /^Received: from client\.example\.org \(\[127\.0\.0\.1\]\)/,
    );
    const metrics = await metricsText(interceptor);
    assert.match(metrics, /relay_guard_refusals_total\{origin="proxy_unknown"\} 1/);
    assert.match(metrics, /unknown_client_sessions_total\{origin="proxy_unknown"\} 1/);
  });
});

describe('PROXY protocol from listed peers only', () => {
  let interceptor: TestInterceptor;
  before(async () => {
    interceptor = await startTestInterceptor({
      policy: { trustedNetworks: TRUSTED },
      options: { proxyProtocol: true, proxyPeers: ['192.0.2.1'], clusterNetworks: CLUSTER },
    });
  });
  after(() => interceptor.cleanup());

  test('unlisted cluster peer gets no trust', async () => {
    const talk = await session(interceptor.smtpPort);
    await talk.command('MAIL FROM:<app@example.com>');
    const reply = await talk.command('RCPT TO:<someone@example.net>');
    assert.match(reply, GUARD_REPLY);
    assert.match(reply, /add the load balancer to MAILSHIELD_SMTP_PROXY_PEERS/);
    talk.close();
  });
});

describe('relay guard without PROXY protocol', () => {
  let interceptor: TestInterceptor;
  before(async () => {
    interceptor = await startTestInterceptor({
      policy: { trustedNetworks: TRUSTED },
      options: { clusterNetworks: CLUSTER },
    });
  });
  after(() => interceptor.cleanup());

  test('cluster peer in a trusted network may not relay', async () => {
    const talk = await session(interceptor.smtpPort);
    await talk.command('MAIL FROM:<app@example.com>');
    const reply = await talk.command('RCPT TO:<someone@example.net>');
    assert.match(reply, GUARD_REPLY);
    assert.match(reply, /came from the cluster network without a PROXY header/);
    assert.match(reply, /MAILSHIELD_SMTP_PROXY_PROTOCOL.*externalTrafficPolicy: Local\)$/);
    talk.close();
    const metrics = await metricsText(interceptor);
    assert.match(metrics, /relay_guard_refusals_total\{origin="cluster_peer"\} 1/);
    assert.match(metrics, /relay_denied_total 1/);
  });

  test('cluster peer sends to relay domains', async () => {
    const talk = await session(interceptor.smtpPort);
    await sendOne(talk, 'user@example.com');
    talk.close();
    const record = topicRecords(interceptor.bus, Topics.inbound).at(-1)!;
    assert.equal(record.envelope?.clientAddress, '');
    assert.equal(record.envelope?.outbound, false);
  });
});

describe('peer outside the cluster networks', () => {
  let interceptor: TestInterceptor;
  before(async () => {
    interceptor = await startTestInterceptor({
      policy: { trustedNetworks: TRUSTED },
      options: { clusterNetworks: ['10.0.0.0/8'] },
    });
  });
  after(() => interceptor.cleanup());

  test('trusted peer relays as before', async () => {
    const talk = await session(interceptor.smtpPort);
    await talk.command('MAIL FROM:<app@example.com>');
    assert.match(await talk.command('RCPT TO:<someone@example.net>'), /^250 2\.1\.5 /);
    talk.close();
  });
});
