import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { htmlMessage, parse } from '../../test/fixtures.js';
import { tokenize } from './tokenizer.js';

describe('tokenize', () => {
  it('prefixes subject words', async () => {
    const tokens = tokenize(await parse({ headers: { Subject: 'Cheap Watches today' } }));
    assert.ok(tokens.includes('subject:cheap'));
    assert.ok(tokens.includes('subject:watches'));
    assert.ok(!tokens.includes('cheap'));
  });

  it('lower-cases body words and trims punctuation', async () => {
    const tokens = tokenize(await parse({ body: 'Order NOW, "friend". Free!!\r\n' }));
    assert.ok(tokens.includes('order'));
    assert.ok(tokens.includes('now'));
    assert.ok(tokens.includes('friend'));
    assert.ok(tokens.includes('free!!'));
  });

  it('skips short words and replaces long ones', async () => {
    const tokens = tokenize(await parse({ body: 'an ox abcdefghijklmnopqrstuvwxyz\r\n' }));
    assert.ok(!tokens.includes('an'));
    assert.ok(tokens.includes('skip:a 20'));
  });

  it('keeps the domain of a long address', async () => {
    const tokens = tokenize(await parse({ body: 'write to someone.long@example.net\r\n' }));
    assert.ok(tokens.includes('email:example.net'));
  });

  it('turns URLs into host tokens', async () => {
    const tokens = tokenize(
      await parse({ body: 'see https://www.shop.example.co.uk/buy?x=1.\r\n' }),
    );
    assert.ok(tokens.includes('url:www.shop.example.co.uk'));
    assert.ok(tokens.includes('url:shop.example.co.uk'));
    assert.ok(tokens.includes('url:example.co.uk'));
    assert.ok(!tokens.includes('url:co.uk'));
    assert.ok(!tokens.some((token) => token.includes('buy')));
  });

  it('reads href hosts and visible text of HTML', async () => {
    const html = '<p>Great <b>offer</b> <a href="http://198.51.100.7/x">here</a></p>';
    const tokens = tokenize(await parse(htmlMessage(html)));
    assert.ok(tokens.includes('url:ip'));
    assert.ok(tokens.includes('offer'));
    assert.ok(tokens.includes('body:html-only'));
    assert.ok(!tokens.some((token) => token.startsWith('<')));
  });

  it('marks sender, relay and MIME evidence', async () => {
    const message = await parse({
      headers: {
        'Reply-To': 'other@example.net',
        Received:
          'from mx.example.net (mx.example.net [192.0.2.10]) by relay.example.org with ESMTP',
        'X-Mailer': 'Mailer 1.0',
        'Content-Type': 'text/plain; charset="ISO-8859-1"',
      },
    });
    const tokens = tokenize(message);
    for (const expected of [
      'from:domain:example.org',
      'from:name:alice',
      'reply-to:other:example.net',
      'received:ip:192.0',
      'received:ip:192.0.2',
      'received:host:example.net',
      'received:with:esmtp',
      'x-mailer:mailer 1.0',
      'charset:iso-8859-1',
      'header:x-mailer',
      'to:count:1',
    ])
      assert.ok(tokens.includes(expected), `missing ${expected}`);
  });

  it('reads a charset written in quoted-printable', async () => {
    const body = '<meta http-equiv=3D"Content-Type" content=3D"text/html; charset=3Dwindows-1252">';
    const message = await parse({
      headers: { 'Content-Type': 'text/html', 'Content-Transfer-Encoding': 'quoted-printable' },
      body,
    });
    assert.ok(tokenize(message).includes('charset:windows-1252'));
  });

  it('returns each token once', async () => {
    const tokens = tokenize(await parse({ body: 'spam spam spam\r\n' }));
    assert.equal(tokens.filter((token) => token === 'spam').length, 1);
  });

  it('stops at the token cap', async () => {
    const words = Array.from({ length: 500 }, (_, i) => `word${i}`).join(' ');
    const tokens = tokenize(await parse({ body: `${words}\r\n` }), 100);
    assert.equal(tokens.length, 100);
  });
});
