import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Envelope } from '@mailshield/proto/message';
import type { AntispamPolicy, DnsblZone } from '@mailshield/proto/policy';
import { createDnsResolver, type DnsResolver } from '../../dns/resolver.js';
import { TestDnsServer } from '../../test/dns-server.js';
import { parse, RECEIVED_AT, testPolicy, type MessageSpec } from '../../test/fixtures.js';
import type { CheckContext, Finding } from '../types.js';
import { dnsblCheck, type DnsblCheckOptions } from './dnsbl.js';

const CLIENT_ZONE: DnsblZone = { zone: 'bl.example.net', score: 3, returnCodes: [] };
const URL_ZONE: DnsblZone = { zone: 'dbl.example.net', score: 2.5, returnCodes: [] };
const LISTED_IP = '192.0.2.99';
const LISTED_IPV6 = '2001:db8::99';
const IPV6_NAME = '9.9.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example.net';

interface Run {
  clientAddress?: string;
  outbound?: boolean;
  policy?: Partial<AntispamPolicy>;
  spec?: MessageSpec;
}

function context(run: Run): CheckContext {
  return {
    envelope: Envelope.fromPartial({
      clientAddress: run.clientAddress ?? '198.51.100.7',
      mailFrom: 'alice@example.org',
      rcptTo: ['bob@example.com'],
      outbound: run.outbound ?? false,
    }),
    policy: testPolicy({ clientBlocklists: [CLIENT_ZONE], urlBlocklists: [], ...run.policy }),
    now: RECEIVED_AT,
    signal: new AbortController().signal,
  };
}

describe('dnsblCheck', () => {
  let server: TestDnsServer;
  let resolver: DnsResolver;

  before(async () => {
    server = await TestDnsServer.start({
      '99.2.0.192.bl.example.net': { A: ['127.0.0.2'], TXT: ['listed for testing'] },
      [IPV6_NAME]: { A: ['127.0.0.3'] },
      '98.2.0.192.bl.example.net': { A: ['127.0.0.4'] },
      '97.2.0.192.bl.example.net': { fault: 'servfail' },
      '99.2.0.192.refusing.example.net': { A: ['127.255.255.254'] },
      'example.com.dbl.example.net': { A: ['127.0.1.2'] },
    });
    resolver = createDnsResolver({ servers: [server.address], timeoutSeconds: 1 });
  });

  beforeEach(() => {
    server.questions.length = 0;
  });

  after(() => server.close());

  async function run(input: Run, options: DnsblCheckOptions = {}): Promise<Finding[]> {
    const check = dnsblCheck(resolver, options);
    return check.run(await parse(input.spec), context(input));
  }

  it('sends no query without zones', async () => {
    const findings = await run({
      clientAddress: LISTED_IP,
      policy: { clientBlocklists: [], urlBlocklists: [] },
      spec: { body: 'https://www.example.com/buy\r\n' },
    });
    assert.deepEqual(findings, []);
    assert.deepEqual(server.questions, []);
  });

  it('finds a listed client', async () => {
    const findings = await run({ clientAddress: LISTED_IP });
    assert.equal(findings.length, 1);
    assert.equal(findings[0]?.name, 'DNSBL_CLIENT_LISTED');
    assert.equal(findings[0]?.score, 3);
    assert.match(
      findings[0]?.detail ?? '',
      /192\.0\.2\.99 listed in bl\.example\.net \(127\.0\.0\.2\)/,
    );
    assert.deepEqual(server.questions, ['A 99.2.0.192.bl.example.net']);
  });

  it('finds nothing for a client that is not listed', async () => {
    assert.deepEqual(await run({ clientAddress: '198.51.100.7' }), []);
    assert.deepEqual(server.questions, ['A 7.100.51.198.bl.example.net']);
  });

  it('asks with reversed nibbles for an IPv6 client', async () => {
    const findings = await run({ clientAddress: LISTED_IPV6 });
    assert.equal(findings[0]?.name, 'DNSBL_CLIENT_LISTED');
    assert.deepEqual(server.questions, [`A ${IPV6_NAME}`]);
  });

  it('treats an IPv4-mapped client as IPv4', async () => {
    const findings = await run({ clientAddress: `::ffff:${LISTED_IP}` });
    assert.equal(findings[0]?.name, 'DNSBL_CLIENT_LISTED');
  });

  it('counts only the configured return codes', async () => {
    const zone = { ...CLIENT_ZONE, returnCodes: ['127.0.0.2'] };
    const policy = { clientBlocklists: [zone] };
    assert.deepEqual(await run({ clientAddress: '192.0.2.98', policy }), []);
    assert.equal((await run({ clientAddress: LISTED_IP, policy }))[0]?.name, 'DNSBL_CLIENT_LISTED');
  });

  it('skips loopback and private clients', async () => {
    for (const clientAddress of ['127.0.0.1', '10.1.2.3', '192.168.0.1', '::1', 'fe80::1', '']) {
      assert.deepEqual(await run({ clientAddress }), [], clientAddress);
    }
    assert.deepEqual(server.questions, []);
  });

  it('skips the client of outbound mail', async () => {
    assert.deepEqual(await run({ clientAddress: LISTED_IP, outbound: true }), []);
    assert.deepEqual(server.questions, []);
  });

  it('finds a listed URL domain', async () => {
    const findings = await run({
      policy: { clientBlocklists: [], urlBlocklists: [URL_ZONE] },
      spec: { body: 'Buy at https://www.example.com/buy or see https://example.org/about\r\n' },
    });
    assert.equal(findings.length, 1);
    assert.equal(findings[0]?.name, 'DNSBL_URL_LISTED');
    assert.equal(findings[0]?.object, 'body');
    assert.equal(findings[0]?.score, 2.5);
    assert.match(findings[0]?.detail ?? '', /^example\.com listed in dbl\.example\.net/);
    assert.deepEqual(server.questions.sort(), [
      'A example.com.dbl.example.net',
      'A example.org.dbl.example.net',
    ]);
  });

  it('finds nothing for URL domains that are not listed', async () => {
    const findings = await run({
      policy: { clientBlocklists: [], urlBlocklists: [URL_ZONE] },
      spec: { body: 'See https://example.org/about and http://192.0.2.1/x\r\n' },
    });
    assert.deepEqual(findings, []);
    assert.deepEqual(server.questions, ['A example.org.dbl.example.net']);
  });

  it('reads URL domains from HTML links', async () => {
    const findings = await run({
      policy: { clientBlocklists: [], urlBlocklists: [URL_ZONE] },
      spec: {
        headers: { 'Content-Type': 'text/html' },
        body: '<p><a href="https://shop.example.com/x">our shop</a></p>',
      },
    });
    assert.equal(findings[0]?.name, 'DNSBL_URL_LISTED');
  });

  it('caps URL lookups per message', async () => {
    const body = Array.from({ length: 30 }, (_, i) => `https://shop${i}.example${i}.org/`).join(
      '\r\n',
    );
    const zones = [URL_ZONE, { ...URL_ZONE, zone: 'uribl.example.net' }];
    await run(
      { policy: { clientBlocklists: [], urlBlocklists: zones }, spec: { body } },
      { maxUrlLookups: 10 },
    );
    assert.equal(server.questions.length, 10);
  });

  it('caches answers for their TTL', async () => {
    const check = dnsblCheck(resolver);
    const message = await parse();
    await check.run(message, context({ clientAddress: LISTED_IP }));
    const again = await check.run(message, context({ clientAddress: LISTED_IP }));
    assert.equal(again[0]?.name, 'DNSBL_CLIENT_LISTED');
    assert.equal(server.questions.length, 1);
  });

  it('gives a scoreless temperror when a lookup fails', async () => {
    const findings = await run({ clientAddress: '192.0.2.97' });
    assert.deepEqual(
      findings.map((finding) => [finding.name, finding.score]),
      [['DNSBL_TEMPERROR', 0]],
    );
  });

  it('treats error codes as failures', async () => {
    const zone = { ...CLIENT_ZONE, zone: 'refusing.example.net' };
    const findings = await run({ clientAddress: LISTED_IP, policy: { clientBlocklists: [zone] } });
    assert.deepEqual(
      findings.map((finding) => finding.name),
      ['DNSBL_TEMPERROR'],
    );
    assert.match(findings[0]?.detail ?? '', /refusing\.example\.net/);
  });
});
