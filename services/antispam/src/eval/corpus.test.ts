import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { stripMboxFromLine } from './corpus.js';

describe('stripMboxFromLine', () => {
  it('removes the separator line', () => {
    const raw = Buffer.from(
      'From someone@example.org  Mon Jun 24 17:03:24 2002\nSubject: x\n\nbody\n',
    );
    assert.equal(stripMboxFromLine(raw).toString(), 'Subject: x\n\nbody\n');
  });

  it('keeps a message without one', () => {
    const raw = Buffer.from('From: a@example.org\n\nbody\n');
    assert.equal(stripMboxFromLine(raw).toString(), raw.toString());
  });
});
