import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandIPv6, isPublicAddress, normalizeAddress, reversedName } from './query-names.js';

describe('query names', () => {
  it('reverses the octets of an IPv4 address', () => {
    assert.equal(reversedName('192.0.2.1', 'zen.example.net'), '1.2.0.192.zen.example.net');
  });

  it('reverses the nibbles of an IPv6 address', () => {
    // The example of RFC 5782 section 2.4.
    assert.equal(
      reversedName('2001:db8:1:2:3:4:567:89ab', 'ugly.example.com'),
      'b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com',
    );
  });

  it('expands compressed and dotted IPv6 forms', () => {
    assert.equal(expandIPv6('::1'), '00000000000000000000000000000001');
    assert.equal(expandIPv6('2001:db8::'), '20010db8000000000000000000000000');
    assert.equal(expandIPv6('::ffff:192.0.2.1'), '00000000000000000000ffffc0000201');
  });

  it('normalizes mapped, bracketed and invalid addresses', () => {
    assert.equal(normalizeAddress('::ffff:192.0.2.1'), '192.0.2.1');
    assert.equal(normalizeAddress('::FFFF:c000:0201'), '192.0.2.1');
    assert.equal(normalizeAddress('[2001:DB8::1]'), '2001:db8::1');
    assert.equal(normalizeAddress(''), undefined);
    assert.equal(normalizeAddress('mail.example.org'), undefined);
  });

  it('tells public addresses from private ones', () => {
    for (const address of ['192.0.2.1', '198.51.100.7', '2001:db8::1'])
      assert.equal(isPublicAddress(address), true, address);
    for (const address of ['127.0.0.1', '10.0.0.1', '172.16.5.4', '192.168.1.1', '100.64.0.1'])
      assert.equal(isPublicAddress(address), false, address);
    for (const address of ['::1', '::', 'fd00::1', 'fe80::1', 'not an address'])
      assert.equal(isPublicAddress(address), false, address);
  });
});
