import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestDnsServer } from '../test/dns-server.js';
import { createDnsResolver, parseNameServer, type DnsResolver } from './resolver.js';

function codeOf(err: unknown): unknown {
  return (err as { code?: unknown }).code;
}

describe('parseNameServer', () => {
  it('adds port 53 to a bare address', () => {
    assert.equal(parseNameServer('192.0.2.53'), '192.0.2.53:53');
    assert.equal(parseNameServer(' 2001:db8::53 '), '[2001:db8::53]:53');
  });

  it('keeps a given port', () => {
    assert.equal(parseNameServer('127.0.0.1:5353'), '127.0.0.1:5353');
    assert.equal(parseNameServer('[::1]:5353'), '[::1]:5353');
  });

  it('refuses names and bad ports', () => {
    for (const text of [
      'dns.example.org',
      'dns.example.org:53',
      '127.0.0.1:0',
      '127.0.0.1:70000',
      '',
    ])
      assert.equal(parseNameServer(text), undefined, text);
  });
});

describe('createDnsResolver', () => {
  let server: TestDnsServer;
  let resolver: DnsResolver;

  before(async () => {
    server = await TestDnsServer.start({
      'example.org': { TXT: ['v=spf1 -all'], A: ['192.0.2.1'], ttl: 60 },
      'slow.example.org': { fault: 'drop' },
      'broken.example.org': { fault: 'servfail' },
    });
    resolver = createDnsResolver({ servers: [server.address], timeoutSeconds: 0.3 });
  });

  after(() => server.close());

  it('answers TXT in node:dns form', async () => {
    assert.deepEqual(await resolver.resolve('example.org', 'TXT'), [['v=spf1 -all']]);
  });

  it('answers A with TTLs', async () => {
    assert.deepEqual(await resolver.resolveA('example.org'), [{ address: '192.0.2.1', ttl: 60 }]);
  });

  it('reports NXDOMAIN and NODATA by code', async () => {
    await assert.rejects(
      resolver.resolve('nothing.example.org', 'TXT'),
      (err) => codeOf(err) === 'ENOTFOUND',
    );
    await assert.rejects(
      resolver.resolve('example.org', 'AAAA'),
      (err) => codeOf(err) === 'ENODATA',
    );
    await assert.rejects(
      resolver.resolveA('broken.example.org'),
      (err) => codeOf(err) === 'ESERVFAIL',
    );
  });

  it('times out a lookup that gets no answer', async () => {
    const started = Date.now();
    await assert.rejects(
      resolver.resolveA('slow.example.org'),
      (err) => codeOf(err) === 'ETIMEOUT',
    );
    assert.ok(Date.now() - started < 2000);
  });

  it('cancels a lookup when the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const started = Date.now();
    await assert.rejects(
      resolver.resolve('slow.example.org', 'A', controller.signal),
      (err) => codeOf(err) === 'ECANCELLED',
    );
    assert.ok(Date.now() - started < 250);
  });

  it('refuses to start a lookup with an aborted signal', async () => {
    const before = server.questions.length;
    await assert.rejects(
      resolver.resolve('example.org', 'TXT', AbortSignal.abort()),
      (err) => codeOf(err) === 'ECANCELLED',
    );
    assert.equal(server.questions.length, before);
  });

  it('names its servers', () => {
    assert.deepEqual(resolver.servers, [server.address]);
    assert.deepEqual(createDnsResolver({ servers: [], timeoutSeconds: 1 }).servers, ['system']);
  });
});
