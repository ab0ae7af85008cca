import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Envelope } from '@mailshield/proto/message';
import { createDnsResolver, type DnsResolver } from '../../dns/resolver.js';
import { createDkimKey, sealMessageArc, signMessage, type TestDkimKey } from '../../test/dkim.js';
import { TestDnsServer } from '../../test/dns-server.js';
import { buildRaw, RECEIVED_AT, testPolicy, type MessageSpec } from '../../test/fixtures.js';
import { parseMessage } from '../parse.js';
import type { CheckContext, Finding } from '../types.js';
import { AUTH_SCORES } from './authentication-findings.js';
import { authenticationCheck } from './authentication.js';

/** The address that example.org's and example.net's SPF records name. */
const GOOD_IP = '192.0.2.10';
const OTHER_IP = '198.51.100.7';

interface Sent {
  spec?: MessageSpec;
  /** Signs the message with the example.org key; `tamper` then changes the body. */
  sign?: 'valid' | 'tamper';
  /** Adds an ARC set sealed with the example.org key; `tamper` then changes the Subject. */
  arc?: 'valid' | 'tamper';
  clientAddress?: string;
  mailFrom?: string;
  outbound?: boolean;
}

function context(sent: Sent, signal = new AbortController().signal): CheckContext {
  return {
    envelope: Envelope.fromPartial({
      clientAddress: sent.clientAddress ?? OTHER_IP,
      helo: 'mail.example.org',
      mailFrom: sent.mailFrom ?? 'alice@example.org',
      rcptTo: ['bob@example.com'],
      receivedAt: RECEIVED_AT,
      outbound: sent.outbound ?? false,
    }),
    policy: testPolicy(),
    now: RECEIVED_AT,
    signal,
  };
}

describe('authenticationCheck', () => {
  let server: TestDnsServer;
  let resolver: DnsResolver;
  let key: TestDkimKey;

  before(async () => {
    key = createDkimKey('example.org');
    server = await TestDnsServer.start({
      'example.org': { TXT: [`v=spf1 ip4:${GOOD_IP} -all`] },
      '_dmarc.example.org': { TXT: ['v=DMARC1; p=reject'] },
      [key.recordName]: { TXT: [key.record] },
      'example.net': { TXT: [`v=spf1 ip4:${GOOD_IP} ~all`] },
      'example.com': { TXT: [`v=spf1 ip4:${GOOD_IP} -all`] },
      '_dmarc.example.com': { TXT: ['v=DMARC1; p=quarantine'] },
    });
    resolver = createDnsResolver({ servers: [server.address], timeoutSeconds: 1 });
  });

  after(() => server.close());

  async function run(sent: Sent, check = authenticationCheck(resolver)): Promise<Finding[]> {
    let raw = buildRaw(sent.spec);
    if (sent.sign !== undefined) raw = await signMessage(raw, key);
    if (sent.sign === 'tamper') raw = Buffer.from(raw.toString().replace('Hello Bob', 'Hello Eve'));
    if (sent.arc !== undefined) raw = await sealMessageArc(raw, key);
    if (sent.arc === 'tamper') raw = Buffer.from(raw.toString().replace('Tuesday', 'Friday'));
    return check.run(await parseMessage(raw), context(sent));
  }

  const names = (findings: Finding[]) => findings.map((finding) => finding.name);

  it('passes SPF for an address the domain names', async () => {
    const findings = await run({ clientAddress: GOOD_IP });
    assert.ok(names(findings).includes('SPF_PASS'));
    assert.ok(names(findings).includes('DMARC_PASS'));
    assert.ok(findings.every((finding) => finding.score <= 0));
  });

  it('fails SPF for an address the domain does not name', async () => {
    const findings = await run({});
    const spf = findings.find((finding) => finding.name === 'SPF_FAIL');
    assert.equal(spf?.score, AUTH_SCORES.SPF_FAIL);
    assert.match(spf?.detail ?? '', /example\.org from 198\.51\.100\.7/);
    assert.ok(!names(findings).includes('SPF_PASS'));
  });

  it('reports softfail for a ~all domain', async () => {
    const findings = await run({
      mailFrom: 'bob@example.net',
      spec: { headers: { From: 'bob@example.net' } },
    });
    assert.ok(names(findings).includes('SPF_SOFTFAIL'));
    assert.ok(!names(findings).includes('SPF_FAIL'));
    assert.ok(!names(findings).some((name) => name.startsWith('DMARC_')), 'no DMARC record');
  });

  it('fails DMARC under p=reject when nothing aligns', async () => {
    const findings = await run({});
    const dmarc = findings.find((finding) => finding.name === 'DMARC_REJECT');
    assert.equal(dmarc?.score, AUTH_SCORES.DMARC_REJECT);
    assert.equal(dmarc?.object, 'header:From');
    assert.ok(server.questions.includes('TXT _dmarc.example.org'));
  });

  it('scores a p=quarantine failure lower', async () => {
    const findings = await run({
      mailFrom: 'carol@example.com',
      spec: { headers: { From: 'carol@example.com' } },
    });
    assert.ok(names(findings).includes('DMARC_QUARANTINE'));
    assert.ok(!names(findings).includes('DMARC_REJECT'));
  });

  it('verifies a valid DKIM signature', async () => {
    const findings = await run({ sign: 'valid' });
    assert.ok(names(findings).includes('DKIM_VALID'));
    assert.ok(!names(findings).includes('DKIM_INVALID'));
    // The aligned signature passes DMARC although SPF fails.
    assert.ok(names(findings).includes('DMARC_PASS'));
    assert.ok(!names(findings).includes('DMARC_REJECT'));
  });

  it('finds a DKIM body hash that does not verify', async () => {
    const findings = await run({ sign: 'tamper' });
    const dkim = findings.find((finding) => finding.name === 'DKIM_INVALID');
    assert.equal(dkim?.score, AUTH_SCORES.DKIM_INVALID);
    assert.match(dkim?.detail ?? '', /body hash/);
    assert.ok(!names(findings).includes('DKIM_VALID'));
    assert.ok(names(findings).includes('DMARC_REJECT'));
  });

  it('reports no DKIM finding for an unsigned message', async () => {
    const findings = await run({ clientAddress: GOOD_IP });
    assert.ok(!names(findings).some((name) => name.startsWith('DKIM_')));
  });

  it('reports a verifying ARC chain without score', async () => {
    const findings = await run({ arc: 'valid' });
    const arc = findings.find((finding) => finding.name === 'ARC_PASS');
    assert.equal(arc?.score, 0);
    assert.ok(!names(findings).includes('ARC_INVALID'));
  });

  it('finds an ARC chain that does not verify', async () => {
    const findings = await run({ arc: 'tamper' });
    assert.ok(names(findings).includes('ARC_INVALID'));
    assert.ok(!names(findings).includes('ARC_PASS'));
  });

  it('reports no ARC finding without a chain', async () => {
    const findings = await run({});
    assert.ok(!names(findings).some((name) => name.startsWith('ARC_')));
  });

  it('skips SPF without a client address', async () => {
    const findings = await run({ clientAddress: '' });
    assert.ok(!names(findings).some((name) => name.startsWith('SPF_')));
    assert.ok(names(findings).includes('DMARC_REJECT'));
  });

  it('skips outbound mail without a lookup', async () => {
    const before = server.questions.length;
    assert.deepEqual(await run({ outbound: true }), []);
    assert.equal(server.questions.length, before);
  });

  it('gives scoreless temperrors when DNS is down', async () => {
    const down = await TestDnsServer.start();
    const address = down.address;
    await down.close();
    const deadResolver = createDnsResolver({ servers: [address], timeoutSeconds: 0.5 });
    const findings = await run({ sign: 'valid' }, authenticationCheck(deadResolver));
    assert.deepEqual(names(findings).sort(), [
      'DKIM_TEMPERROR',
      'DMARC_TEMPERROR',
      'SPF_TEMPERROR',
    ]);
    assert.ok(findings.every((finding) => finding.score === 0));
  });

  it('gives scoreless temperrors when DNS times out', async () => {
    const silent = await TestDnsServer.start({
      'example.org': { fault: 'drop' },
      '_dmarc.example.org': { fault: 'drop' },
    });
    const slowResolver = createDnsResolver({ servers: [silent.address], timeoutSeconds: 0.2 });
    try {
      const findings = await run({}, authenticationCheck(slowResolver));
      assert.deepEqual(names(findings).sort(), ['DMARC_TEMPERROR', 'SPF_TEMPERROR']);
      assert.ok(findings.every((finding) => finding.score === 0));
    } finally {
      await silent.close();
    }
  });

  it('fails once the deadline has passed', async () => {
    const controller = new AbortController();
    controller.abort(new Error('scan deadline passed'));
    const message = await parseMessage(buildRaw());
    await assert.rejects(
      Promise.resolve(authenticationCheck(resolver).run(message, context({}, controller.signal))),
    );
  });
});
