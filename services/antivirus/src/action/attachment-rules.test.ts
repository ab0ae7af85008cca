import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Direction } from '@mailshield/proto/policy';
import { attachmentRule } from '../test/fakes.js';
import { compilePattern, matchAttachmentRule } from './attachment-rules.js';

test('pattern matches wildcards and alternatives', () => {
  const pattern = compilePattern('*.{pdf,doc}.{exe,scr}');
  assert.ok(pattern.test('invoice.pdf.exe'));
  assert.ok(pattern.test('INVOICE.DOC.SCR'));
  assert.ok(!pattern.test('invoice.pdf'));
  assert.ok(!pattern.test('invoice.exe'));
  assert.ok(compilePattern('report?.txt').test('report1.txt'));
  assert.ok(!compilePattern('report?.txt').test('report12.txt'));
  assert.ok(compilePattern('a+b(1).txt').test('a+b(1).txt'));
});

test('rule matches a name inside an archive', () => {
  const rules = [attachmentRule({ name: 'com-files', namePatterns: ['*.com'] })];
  const facts = { size: 10, names: ['scan0001.dat', 'scan0001.dat/docs.zip/eicar.com'], types: [] };
  assert.equal(matchAttachmentRule(rules, false, facts)?.name, 'com-files');
  const clean = {
    size: 10,
    names: ['scan0001.dat', 'scan0001.dat/docs.zip/readme.txt'],
    types: [],
  };
  assert.equal(matchAttachmentRule(rules, false, clean), undefined);
});

test('rule matches a category or a type', () => {
  const rules = [attachmentRule({ name: 'executables', fileTypes: ['executable'] })];
  assert.ok(matchAttachmentRule(rules, false, { size: 1, names: [], types: ['zip', 'exe'] }));
  assert.ok(!matchAttachmentRule(rules, false, { size: 1, names: [], types: ['zip', 'pdf'] }));
  const byType = [attachmentRule({ name: 'pdf', fileTypes: ['pdf'] })];
  assert.ok(matchAttachmentRule(byType, false, { size: 1, names: [], types: ['pdf'] }));
});

test('rule needs every condition it sets', () => {
  const rules = [attachmentRule({ name: 'big-zips', fileTypes: ['zip'], minBytes: 1000 })];
  assert.ok(!matchAttachmentRule(rules, false, { size: 999, names: [], types: ['zip'] }));
  assert.ok(!matchAttachmentRule(rules, false, { size: 5000, names: [], types: ['pdf'] }));
  assert.ok(matchAttachmentRule(rules, false, { size: 5000, names: [], types: ['zip'] }));
});

test('rule applies to its direction only', () => {
  const rules = [
    attachmentRule({ name: 'in', namePatterns: ['*'], direction: Direction.DIRECTION_INBOUND }),
  ];
  const facts = { size: 1, names: ['a.txt'], types: [] };
  assert.ok(matchAttachmentRule(rules, false, facts));
  assert.equal(matchAttachmentRule(rules, true, facts), undefined);
});

test('rule without conditions never matches', () => {
  assert.equal(
    matchAttachmentRule([attachmentRule({})], false, { size: 1, names: ['a'], types: ['exe'] }),
    undefined,
  );
});
