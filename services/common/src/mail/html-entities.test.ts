import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeHtmlEntities } from './html-entities.js';

test('decodeHtmlEntities reads named and numeric', () => {
  assert.equal(decodeHtmlEntities('a &amp; b &LT;i&gt; &#233;t&#xE9;'), 'a & b <i> été');
});

test('decodeHtmlEntities drops references to nothing', () => {
  assert.equal(decodeHtmlEntities('x&#0;y&#xD800;z&#x110000;'), 'xyz');
});

test('decodeHtmlEntities keeps unknown names', () => {
  assert.equal(decodeHtmlEntities('&bogus; &amp'), '&bogus; &amp');
});
