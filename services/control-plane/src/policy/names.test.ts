import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDomainName, isMailAddress, isSenderPattern, trustedNetworkProblem } from './names.js';

test('isMailAddress accepts any case', () => {
  assert.equal(isMailAddress('a@Example.com'), true);
  assert.equal(isMailAddress('Dave.Smith@EXAMPLE.COM'), true);
  assert.equal(isMailAddress('a@bad..example'), false);
  assert.equal(isMailAddress('@example.com'), false);
});

test('isSenderPattern accepts any case', () => {
  assert.equal(isSenderPattern('Spammer@Spam.Test'), true);
  assert.equal(isSenderPattern('@Bad.Test'), true);
  assert.equal(isSenderPattern('Bad.Test'), true);
  assert.equal(isSenderPattern('a b@Bad.Test'), false);
});

test('isDomainName accepts upper case', () => {
  assert.equal(isDomainName('XN--BCHER-KVA.Example'), true);
  assert.equal(isDomainName('-Bad.Example'), false);
});

test('trustedNetworkProblem rejects wide blocks', () => {
  for (const wide of ['0.0.0.0/1', '128.0.0.0/1', '0.0.0.0/7', '::/1', '8000::/1', '2000::/3']) {
    assert.match(trustedNetworkProblem(wide) ?? '', /open relay/, wide);
  }
  assert.match(trustedNetworkProblem('0.0.0.0/0') ?? '', /open relay/);
  for (const narrow of ['10.0.0.0/8', '192.0.2.0/24', '2001:db8::/32', '2001::/16']) {
    assert.equal(trustedNetworkProblem(narrow), undefined, narrow);
  }
});
