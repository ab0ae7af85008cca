import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientOriginOf } from './client-origin.js';
import { parseTrustedNetworks } from './trusted-networks.js';

const cluster = parseTrustedNetworks(['10.0.0.0/8', 'fd00::/8']).networks;

test('clientOriginOf takes the PROXY header address', () => {
  assert.deepEqual(clientOriginOf('203.0.113.9', 'address', cluster), {
    kind: 'proxy',
    clientAddress: '203.0.113.9',
    traceAddress: '203.0.113.9',
  });
});

test('clientOriginOf handles PROXY UNKNOWN', () => {
  const origin = clientOriginOf('10.1.2.3', 'unknown', cluster);
  assert.equal(origin.kind, 'proxy_unknown');
  assert.equal(origin.clientAddress, undefined);
  assert.equal(origin.traceAddress, '10.1.2.3');
});

test('clientOriginOf distrusts a cluster peer', () => {
  assert.equal(clientOriginOf('::ffff:10.1.2.3', 'none', cluster).clientAddress, undefined);
  assert.equal(clientOriginOf('fd00::5', 'none', cluster).kind, 'cluster_peer');
});

test('clientOriginOf trusts an outside peer', () => {
  assert.equal(clientOriginOf('192.0.2.1', 'none', cluster).clientAddress, '192.0.2.1');
});
