import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LruCache } from './lru-cache.js';

test('LruCache evicts the least recently used entry', () => {
  const cache = new LruCache<number>({ maxEntries: 2, maxBytes: 100 });
  cache.set('a', 1, 1);
  cache.set('b', 2, 1);
  assert.equal(cache.get('a'), 1);
  cache.set('c', 3, 1);
  assert.equal(cache.get('b'), undefined);
  assert.equal(cache.get('a'), 1);
  assert.equal(cache.get('c'), 3);
});

test('LruCache keeps within its byte budget', () => {
  const cache = new LruCache<number>({ maxEntries: 100, maxBytes: 10 });
  cache.set('a', 1, 4);
  cache.set('b', 2, 4);
  cache.set('c', 3, 4);
  assert.equal(cache.size, 2);
  assert.equal(cache.bytes, 8);
  assert.equal(cache.get('a'), undefined);
  cache.set('huge', 4, 11);
  assert.equal(cache.get('huge'), undefined);
  assert.equal(cache.size, 2);
});

test('LruCache replaces an entry and its size', () => {
  const cache = new LruCache<number>({ maxEntries: 10, maxBytes: 10 });
  cache.set('a', 1, 6);
  cache.set('a', 2, 3);
  assert.equal(cache.get('a'), 2);
  assert.equal(cache.bytes, 3);
  cache.delete('a');
  assert.equal(cache.bytes, 0);
});
