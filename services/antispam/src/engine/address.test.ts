import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAddressList, parsePath } from './address.js';

describe('parseAddressList', () => {
  it('keeps a quoted local part containing @ whole', () => {
    const mailboxes = parseAddressList('"ceo@example.com x"@example.net');
    assert.equal(mailboxes?.length, 1);
    assert.equal(mailboxes[0]!.domain, 'example.net');
    assert.equal(mailboxes[0]!.localPart, '"ceo@example.com x"');
  });

  it('reads the angle address after a display name', () => {
    const mailboxes = parseAddressList('"Doe, John" <John.Doe@Example.ORG>');
    assert.equal(mailboxes?.length, 1);
    assert.equal(mailboxes[0]!.domain, 'example.org');
    assert.equal(mailboxes[0]!.address, 'John.Doe@example.org');
  });

  it('prefers the angle address over an address-like display name', () => {
    const mailboxes = parseAddressList('ceo@example.com <attacker@example.net>');
    assert.equal(mailboxes?.[0]?.domain, 'example.net');
  });

  it('drops comments, nested ones too', () => {
    const mailboxes = parseAddressList('alice(at (home))@example.org (Alice)');
    assert.equal(mailboxes?.[0]?.address, 'alice@example.org');
  });

  it('ignores an obsolete source route', () => {
    const mailboxes = parseAddressList('<@relay.example.com,@relay2.example.com:bob@example.org>');
    assert.equal(mailboxes?.[0]?.address, 'bob@example.org');
  });

  it('reads the members of a group and several mailboxes', () => {
    const mailboxes = parseAddressList('Team: a@example.org, "B" <b@example.net>;, c@example.com');
    assert.deepEqual(
      mailboxes?.map((mailbox) => mailbox.domain),
      ['example.org', 'example.net', 'example.com'],
    );
  });

  it('converts an internationalized domain to A-labels', () => {
    assert.equal(parseAddressList('user@bücher.example')?.[0]?.domain, 'xn--bcher-kva.example');
  });

  it('rejects malformed values', () => {
    assert.equal(parseAddressList('"unterminated@example.com'), undefined);
    assert.equal(parseAddressList('a@b@example.com'), undefined);
    assert.equal(parseAddressList('<a@example.com'), undefined);
    assert.equal(parseAddressList('no-domain@'), undefined);
    assert.equal(parseAddressList('just text'), undefined);
  });
});

describe('parsePath', () => {
  it('reads a reverse-path with and without angle brackets', () => {
    assert.equal(parsePath('<Bob@Example.org>')?.address, 'Bob@example.org');
    assert.equal(parsePath('bob@example.org')?.domain, 'example.org');
    assert.equal(parsePath('"x@example.com"@example.net')?.domain, 'example.net');
  });

  it('returns undefined for an empty path', () => {
    assert.equal(parsePath(''), undefined);
    assert.equal(parsePath('<>'), undefined);
  });
});
