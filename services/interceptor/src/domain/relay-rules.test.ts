import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RelayRules } from './relay-rules.js';

test('relay rules match domains exactly and case-insensitively', () => {
  const rules = new RelayRules({
    relayDomains: ['Example.COM', 'bücher.example'],
    trustedNetworks: [],
  });
  assert.equal(rules.mayRelay('192.0.2.1', 'a@example.com'), true);
  assert.equal(rules.mayRelay('192.0.2.1', 'a@EXAMPLE.com.'), true);
  assert.equal(rules.mayRelay('192.0.2.1', 'a@xn--bcher-kva.example'), true);
  assert.equal(rules.mayRelay('192.0.2.1', 'a@sub.example.com'), false);
  assert.equal(rules.mayRelay('192.0.2.1', 'a@example.com.evil.example'), false);
});

test('relay rules match trusted networks in both families', () => {
  const rules = new RelayRules({
    relayDomains: [],
    trustedNetworks: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7', 'not-a-network', '10.0.0.0/33'],
  });
  assert.deepEqual(rules.invalidNetworks, ['not-a-network', '10.0.0.0/33']);
  assert.equal(rules.isTrustedClient('10.1.2.3'), true);
  assert.equal(rules.isTrustedClient('::ffff:10.1.2.3'), true);
  assert.equal(rules.isTrustedClient('11.0.0.1'), false);
  assert.equal(rules.isTrustedClient('2001:db8:1::5'), true);
  assert.equal(rules.isTrustedClient('2001:db9::5'), false);
  assert.equal(rules.isTrustedClient('192.0.2.7'), true);
  assert.equal(rules.isTrustedClient('192.0.2.8'), false);
  assert.equal(rules.mayRelay('10.9.9.9', 'anyone@example.net'), true);
});

test('relay rules accept the domainless postmaster', () => {
  const rules = new RelayRules({ relayDomains: ['example.com'], trustedNetworks: [] });
  assert.equal(rules.refusalOf('192.0.2.1', 'postmaster'), undefined);
  assert.equal(rules.refusalOf('192.0.2.1', 'PostMaster'), undefined);
  assert.equal(rules.refusalOf('192.0.2.1', 'webmaster'), 'relay');
});

test('relay rules refuse source routes in the local part', () => {
  const rules = new RelayRules({ relayDomains: ['example.com'], trustedNetworks: ['10.0.0.0/8'] });
  assert.equal(rules.refusalOf('192.0.2.1', 'user%evil.test@example.com'), 'routing');
  assert.equal(rules.refusalOf('192.0.2.1', 'evil.test!user@example.com'), 'routing');
  assert.equal(rules.refusalOf('192.0.2.1', '"user@evil.test"@example.com'), 'routing');
  assert.equal(rules.refusalOf('10.1.2.3', 'user%evil.test@example.com'), undefined);
});

test('relay rules ignore too wide networks', () => {
  const rules = new RelayRules({
    relayDomains: ['example.com'],
    trustedNetworks: ['0.0.0.0/1', '128.0.0.0/1', '::/1', '8000::/1', '10.0.0.0/8'],
  });
  assert.deepEqual(rules.invalidNetworks, ['0.0.0.0/1', '128.0.0.0/1', '::/1', '8000::/1']);
  assert.equal(rules.mayRelay('198.51.100.7', 'victim@elsewhere.test'), false);
  assert.equal(rules.mayRelay('2001:db8::7', 'victim@elsewhere.test'), false);
  assert.equal(rules.mayRelay('10.9.9.9', 'victim@elsewhere.test'), true);
});
