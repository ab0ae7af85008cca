import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPolicy } from '@mailshield/common';
import { QueueMode } from '@mailshield/proto/message';
import { ignoredSeedVariables } from './seed-check.js';

const stored = { ...defaultPolicy(['example.com']), trustedNetworks: ['10.0.0.0/8'] };

test('ignoredSeedVariables skips unset variables', () => {
  const seed = { relayDomains: undefined, trustedNetworks: undefined, queueMode: undefined };
  assert.deepEqual(ignoredSeedVariables(seed, stored), []);
});

test('ignoredSeedVariables skips matching values', () => {
  const seed = {
    relayDomains: ['EXAMPLE.com'],
    trustedNetworks: ['10.0.0.0/8'],
    queueMode: stored.queueMode,
  };
  assert.deepEqual(ignoredSeedVariables(seed, stored), []);
});

test('ignoredSeedVariables names differing values', () => {
  const seed = {
    relayDomains: ['evil.test'],
    trustedNetworks: ['203.0.113.0/24'],
    queueMode:
      stored.queueMode === QueueMode.QUEUE_MODE_BEFORE_QUEUE
        ? QueueMode.QUEUE_MODE_AFTER_QUEUE
        : QueueMode.QUEUE_MODE_BEFORE_QUEUE,
  };
  assert.deepEqual(ignoredSeedVariables(seed, stored), [
    'MAILSHIELD_RELAY_DOMAINS',
    'MAILSHIELD_TRUSTED_NETWORKS',
    'MAILSHIELD_QUEUE_MODE',
  ]);
});
