import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ListingLookup } from './listing-lookup.js';
import { dnsError, type AddressAnswer, type DnsResolver } from './resolver.js';

/** Builds an in-memory resolver that counts lookups. `answers` maps names to records or error codes. */
function countingResolver(answers: Record<string, AddressAnswer[] | string>) {
  const queried: string[] = [];
  const resolver: DnsResolver = {
    servers: ['memory'],
    resolve: () => Promise.reject(new Error('not used')),
    async resolveA(name) {
      queried.push(name);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const answer = answers[name];
      if (answer === undefined) throw dnsError('ENOTFOUND', `${name} does not exist`);
      if (typeof answer === 'string') throw dnsError(answer, `${name} failed`);
      return answer;
    },
  };
  return { resolver, queried };
}

const signal = new AbortController().signal;

describe('ListingLookup', () => {
  it('keeps an answer for its TTL', async () => {
    let now = 0;
    const { resolver, queried } = countingResolver({ 'a.bl': [{ address: '127.0.0.2', ttl: 60 }] });
    const lookup = new ListingLookup(resolver, { now: () => now });
    assert.deepEqual(await lookup.lookup('a.bl', signal), { addresses: ['127.0.0.2'] });
    now = 59_000;
    await lookup.lookup('A.BL', signal);
    assert.equal(queried.length, 1);
    now = 60_000;
    await lookup.lookup('a.bl', signal);
    assert.equal(queried.length, 2);
  });

  it('keeps "not listed" for the negative TTL', async () => {
    let now = 0;
    const { resolver, queried } = countingResolver({});
    const lookup = new ListingLookup(resolver, { now: () => now, negativeTtlSeconds: 10 });
    assert.deepEqual(await lookup.lookup('b.bl', signal), { addresses: [] });
    now = 9_000;
    await lookup.lookup('b.bl', signal);
    assert.equal(queried.length, 1);
    now = 10_000;
    await lookup.lookup('b.bl', signal);
    assert.equal(queried.length, 2);
  });

  it('shares one query among concurrent callers', async () => {
    const { resolver, queried } = countingResolver({ 'c.bl': [{ address: '127.0.0.2', ttl: 60 }] });
    const lookup = new ListingLookup(resolver);
    const answers = await Promise.all([1, 2, 3].map(() => lookup.lookup('c.bl', signal)));
    assert.equal(queried.length, 1);
    assert.equal(answers.length, 3);
  });

  it('does not cache failures', async () => {
    const { resolver, queried } = countingResolver({ 'd.bl': 'ESERVFAIL' });
    const lookup = new ListingLookup(resolver);
    await assert.rejects(lookup.lookup('d.bl', signal));
    await assert.rejects(lookup.lookup('d.bl', signal));
    assert.equal(queried.length, 2);
    assert.equal(lookup.size, 0);
  });

  it('drops the least recently used name when full', async () => {
    const answer = [{ address: '127.0.0.2', ttl: 60 }];
    const { resolver, queried } = countingResolver({
      'e.bl': answer,
      'f.bl': answer,
      'g.bl': answer,
    });
    const lookup = new ListingLookup(resolver, { maxEntries: 2 });
    await lookup.lookup('e.bl', signal);
    await lookup.lookup('f.bl', signal);
    await lookup.lookup('e.bl', signal);
    await lookup.lookup('g.bl', signal);
    assert.equal(lookup.size, 2);
    await lookup.lookup('e.bl', signal);
    assert.deepEqual(queried, ['e.bl', 'f.bl', 'g.bl']);
    await lookup.lookup('f.bl', signal);
    assert.deepEqual(queried, ['e.bl', 'f.bl', 'g.bl', 'f.bl']);
  });

  it('releases only the aborted caller', async () => {
    const { resolver, queried } = countingResolver({ 'h.bl': [{ address: '127.0.0.2', ttl: 60 }] });
    const lookup = new ListingLookup(resolver);
    const controller = new AbortController();
    const first = lookup.lookup('h.bl', controller.signal);
    const second = lookup.lookup('h.bl', signal);
    controller.abort();
    await assert.rejects(first, (err) => (err as { code?: string }).code === 'ECANCELLED');
    assert.deepEqual(await second, { addresses: ['127.0.0.2'] });
    assert.equal(queried.length, 1);
  });
});
