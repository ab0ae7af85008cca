import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDomainName, isMailAddress, isSenderPattern } from './names.js';

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
