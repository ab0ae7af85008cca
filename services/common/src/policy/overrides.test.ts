import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Direction,
  SpamAction,
  VirusAction,
  type AntispamOverride,
  type Policy,
  type PolicyOverride,
} from '@mailshield/proto/policy';
import { defaultPolicy } from './defaults.js';
import { effectivePolicy, overrideGroupOf, recipientDomainOf } from './overrides.js';

function override(
  recipientDomain: string,
  direction: Direction,
  antispam: Partial<AntispamOverride>,
): PolicyOverride {
  return {
    recipientDomain,
    direction,
    antivirus: undefined,
    antispam: {
      senderAllowlist: [],
      senderBlocklist: [],
      networkAllowlist: [],
      networkBlocklist: [],
      ...antispam,
    },
  };
}

/** Global threshold 5, then one override per level, each with its own threshold. */
function layeredPolicy(): Policy {
  return {
    ...defaultPolicy(),
    overrides: [
      override('example.com', Direction.DIRECTION_INBOUND, { spamThreshold: 40 }),
      override('example.com', Direction.DIRECTION_UNSPECIFIED, { spamThreshold: 30 }),
      override('', Direction.DIRECTION_INBOUND, { spamThreshold: 20 }),
      override('', Direction.DIRECTION_OUTBOUND, { spamThreshold: 10 }),
      override('other.example', Direction.DIRECTION_OUTBOUND, { spamThreshold: 50 }),
    ],
  };
}

test('effectivePolicy picks the most specific level', () => {
  const cases: { domain: string; isOutbound: boolean; threshold: number }[] = [
    { domain: 'example.com', isOutbound: false, threshold: 40 },
    { domain: 'EXAMPLE.com.', isOutbound: false, threshold: 40 },
    { domain: 'example.com', isOutbound: true, threshold: 30 },
    { domain: 'example.net', isOutbound: false, threshold: 20 },
    { domain: 'example.net', isOutbound: true, threshold: 10 },
    { domain: '', isOutbound: false, threshold: 20 },
    { domain: 'other.example', isOutbound: false, threshold: 20 },
    { domain: 'other.example', isOutbound: true, threshold: 50 },
    { domain: 'sub.example.com', isOutbound: false, threshold: 20 },
  ];
  for (const { domain, isOutbound, threshold } of cases) {
    const policy = effectivePolicy(layeredPolicy(), { recipientDomain: domain, isOutbound });
    assert.equal(
      policy.antispam?.spamThreshold,
      threshold,
      `${domain || '(none)'} ${isOutbound ? 'outbound' : 'inbound'}`,
    );
    assert.deepEqual(policy.overrides, []);
  }
});

test('effectivePolicy keeps what an override leaves unset', () => {
  const policy: Policy = {
    ...defaultPolicy(),
    overrides: [
      override('example.com', Direction.DIRECTION_UNSPECIFIED, {
        onSpam: SpamAction.SPAM_ACTION_REJECT,
        senderBlocklist: ['spam.example'],
      }),
      override('example.com', Direction.DIRECTION_INBOUND, { subjectTag: '' }),
    ],
  };
  policy.antispam!.senderBlocklist = ['bad.example'];
  const antispam = effectivePolicy(policy, {
    recipientDomain: 'example.com',
    isOutbound: false,
  }).antispam!;

  assert.equal(antispam.onSpam, SpamAction.SPAM_ACTION_REJECT);
  assert.equal(antispam.spamThreshold, 5);
  assert.equal(antispam.onProbableSpam, SpamAction.SPAM_ACTION_ADD_HEADERS);
  assert.equal(antispam.subjectTag, '');
  assert.deepEqual(antispam.senderBlocklist, ['bad.example', 'spam.example']);
  assert.deepEqual(policy.antispam!.senderBlocklist, ['bad.example']);
});

test('effectivePolicy merges antivirus actions and tags', () => {
  const policy: Policy = {
    ...defaultPolicy(),
    overrides: [
      {
        recipientDomain: 'example.com',
        direction: Direction.DIRECTION_UNSPECIFIED,
        antivirus: {
          inbound: { onInfected: VirusAction.VIRUS_ACTION_DELETE_OBJECT },
          outbound: undefined,
          subjectTags: { protected: '[ENCRYPTED]', infected: '' },
        },
        antispam: undefined,
      },
    ],
  };
  policy.antivirus!.subjectTags = { infected: '[VIRUS]', corrupted: '[BROKEN]' };
  const inbound = effectivePolicy(policy, { recipientDomain: 'example.com', isOutbound: false });
  const elsewhere = effectivePolicy(policy, { recipientDomain: 'example.org', isOutbound: false });

  assert.equal(inbound.antivirus?.inbound?.onInfected, VirusAction.VIRUS_ACTION_DELETE_OBJECT);
  assert.equal(inbound.antivirus?.inbound?.onCorrupted, VirusAction.VIRUS_ACTION_REJECT);
  assert.equal(inbound.antivirus?.outbound?.onInfected, VirusAction.VIRUS_ACTION_REJECT);
  assert.deepEqual(inbound.antivirus?.subjectTags, {
    corrupted: '[BROKEN]',
    protected: '[ENCRYPTED]',
  });
  assert.equal(elsewhere.antivirus?.inbound?.onInfected, VirusAction.VIRUS_ACTION_REJECT);
  assert.deepEqual(elsewhere.antivirus?.subjectTags, policy.antivirus!.subjectTags);
});

test('overrideGroupOf separates named domains only', () => {
  const policy = layeredPolicy();
  assert.equal(overrideGroupOf(policy, 'Example.COM'), 'example.com');
  assert.equal(overrideGroupOf(policy, 'other.example'), 'other.example');
  assert.equal(overrideGroupOf(policy, 'example.net'), '');
  assert.equal(overrideGroupOf(policy, 'example.org'), '');
  assert.equal(overrideGroupOf(defaultPolicy(), 'example.com'), '');
});

test('recipientDomainOf normalizes the domain', () => {
  assert.equal(recipientDomainOf('bob@Example.COM'), 'example.com');
  assert.equal(recipientDomainOf('bob@bücher.example'), 'xn--bcher-kva.example');
  assert.equal(recipientDomainOf('postmaster'), '');
});
