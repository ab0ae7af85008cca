import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localUser } from './command-context.js';

test('localUser names the passwd user', () => {
  assert.equal(
    localUser(() => ({ username: 'ops' })),
    'ops',
  );
});

test('localUser falls back to the id', () => {
  const name = localUser(() => {
    throw Object.assign(new Error('uv_os_get_passwd returned ENOENT'), { code: 'ENOENT' });
  });
  assert.match(name, /^uid-(\d+|unknown)$/);
});
