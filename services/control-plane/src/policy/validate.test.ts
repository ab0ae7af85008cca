import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPolicy, InvalidArgumentError } from '@mailshield/common';
import { QueueMode } from '@mailshield/proto/message';
import {
  Direction,
  Policy,
  SpamAction,
  VirusAction,
  type AntispamOverride,
  type PolicyOverride,
} from '@mailshield/proto/policy';
import { ErrorCodes } from '../errors.js';
import { validatePolicy } from './validate.js';

function fieldErrorsOf(policy: Policy): string[] {
  try {
    validatePolicy(policy);
  } catch (err) {
    assert.ok(err instanceof InvalidArgumentError);
    assert.equal(err.code, ErrorCodes.policyInvalid);
    return err.fieldErrors;
  }
  assert.fail('expected the policy to be invalid');
}

test('validatePolicy accepts the default policy', () => {
  const policy = validatePolicy(defaultPolicy(['Example.COM']));
  assert.deepEqual(policy.relayDomains, ['example.com']);
});

test('validatePolicy fills missing sections', () => {
  const policy = validatePolicy({ ...defaultPolicy(), antivirus: undefined, antispam: undefined });
  assert.equal(policy.antivirus?.inbound?.onInfected, VirusAction.VIRUS_ACTION_REJECT);
  assert.equal(policy.antivirus?.limits?.maxMimeDepth, 20);
  assert.equal(policy.antispam?.spamThreshold, 5);
});

test('validatePolicy names every bad field', () => {
  const base = defaultPolicy();
  const errors = fieldErrorsOf({
    ...base,
    queueMode: QueueMode.QUEUE_MODE_UNSPECIFIED,
    relayDomains: ['good.example', 'bad..example', '-bad.example'],
    trustedNetworks: [
      '10.0.0.0/8',
      '2001:db8::/32',
      '10.0.0.0/33',
      '300.1.1.1/8',
      '10.0.0.0',
      '0.0.0.0/0',
    ],
    maxMessageBytes: 2 * 1024 * 1024 * 1024,
    beforeQueueTimeoutSeconds: 0,
    antivirus: {
      ...base.antivirus!,
      inbound: { ...base.antivirus!.inbound!, onInfected: 42 as VirusAction },
      scanTimeoutSeconds: -1,
    },
    antispam: {
      ...base.antispam!,
      spamThreshold: 2,
      probableSpamThreshold: 3,
      senderBlocklist: ['not an address'],
    },
  });
  const expected = [
    'queueMode: must be set (it is unspecified)',
    'relayDomains[1]: "bad..example" is not a valid domain name',
    'relayDomains[2]: "-bad.example" is not a valid domain name',
    'trustedNetworks[2]: "10.0.0.0/33": prefix length must be a number from 1 to 32',
    'trustedNetworks[3]: "300.1.1.1/8": "300.1.1.1" is not an IPv4 or IPv6 address',
    'trustedNetworks[4]: "10.0.0.0": expected CIDR notation such as 192.0.2.0/24 or 2001:db8::/32',
    'trustedNetworks[5]: "0.0.0.0/0": prefix length 0 would make the gateway an open relay',
    'maxMessageBytes: must be at most 1073741824 (1 GiB)',
    'beforeQueueTimeoutSeconds: must be greater than 0',
    'antivirus.inbound.onInfected: unknown action; use one of the VIRUS_ACTION_ names in policy.proto',
    'antivirus.scanTimeoutSeconds: must be greater than 0',
    'antispam.probableSpamThreshold: 3 must not exceed antispam.spamThreshold (2)',
    'antispam.senderBlocklist[0]: "not an address" is not an address, a domain or @domain',
  ];
  for (const line of expected)
    assert.ok(errors.includes(line), `missing field error: ${line}\ngot: ${errors.join('\n')}`);
  assert.equal(errors.length, expected.length);
});

test('validatePolicy refuses unknown enum values from JSON', () => {
  const json = { ...(Policy.toJSON(defaultPolicy()) as object), queueMode: 'QUEUE_MODE_SIDEWAYS' };
  const errors = fieldErrorsOf(Policy.fromJSON(json));
  assert.deepEqual(errors, ['queueMode: unknown value; use one of the names in policy.proto']);
});

test('validatePolicy refuses a non-numeric size', () => {
  const json = { ...(Policy.toJSON(defaultPolicy()) as object), maxMessageBytes: 'lots' };
  assert.deepEqual(fieldErrorsOf(Policy.fromJSON(json)), ['maxMessageBytes: must be a number']);
});

test('validatePolicy fills unset antivirus fields', () => {
  const base = defaultPolicy();
  const policy = validatePolicy({
    ...base,
    antivirus: {
      ...base.antivirus!,
      outbound: {
        onInfected: VirusAction.VIRUS_ACTION_DELETE_MESSAGE,
        onProtected: VirusAction.VIRUS_ACTION_UNSPECIFIED,
        onCorrupted: VirusAction.VIRUS_ACTION_UNSPECIFIED,
        onEngineError: VirusAction.VIRUS_ACTION_UNSPECIFIED,
        onLimitExceeded: VirusAction.VIRUS_ACTION_UNSPECIFIED,
      },
      limits: { ...base.antivirus!.limits!, maxParts: 0, maxMimeDepth: 7 },
    },
  });
  assert.equal(policy.antivirus?.outbound?.onInfected, VirusAction.VIRUS_ACTION_DELETE_MESSAGE);
  assert.equal(policy.antivirus?.outbound?.onProtected, VirusAction.VIRUS_ACTION_SKIP);
  assert.equal(policy.antivirus?.outbound?.onLimitExceeded, VirusAction.VIRUS_ACTION_REJECT);
  assert.equal(policy.antivirus?.limits?.maxParts, 500);
  assert.equal(policy.antivirus?.limits?.maxMimeDepth, 7);
});

test('validatePolicy names bad antivirus fields', () => {
  const base = defaultPolicy();
  const errors = fieldErrorsOf({
    ...base,
    queueMode: QueueMode.QUEUE_MODE_BEFORE_QUEUE,
    beforeQueueTimeoutSeconds: 15,
    antivirus: {
      ...base.antivirus!,
      scanTimeoutSeconds: 20,
      subjectTags: { infected: '[VIRUS]', sleepy: 'x', protected: 'a\r\nBcc: x' },
      limits: { ...base.antivirus!.limits!, maxCompressionRatio: 0.5 },
      attachmentRules: [
        {
          name: 'Bad Name',
          fileTypes: ['exe', 'floppy'],
          namePatterns: ['*.{exe', 'dir/*.exe'],
          minBytes: 0,
          action: VirusAction.VIRUS_ACTION_UNSPECIFIED,
          direction: Direction.DIRECTION_INBOUND,
        },
        { ...base.antivirus!.attachmentRules[0]!, fileTypes: [], namePatterns: [] },
        { ...base.antivirus!.attachmentRules[1]! },
        { ...base.antivirus!.attachmentRules[1]! },
      ],
    },
  });
  const expected = [
    'antivirus.scanTimeoutSeconds: must be below beforeQueueTimeoutSeconds (15) in before-queue mode',
    'antivirus.subjectTags.sleepy: unknown status; expected one of infected, blocked, protected, corrupted, unscanned',
    'antivirus.subjectTags.protected: must not contain control characters such as CR or LF',
    'antivirus.limits.maxCompressionRatio: must be at least 1',
    'antivirus.attachmentRules[0].name: must be 1 to 63 lower-case letters, digits, dots, dashes or underscores',
    'antivirus.attachmentRules[0].fileTypes[1]: "floppy" is not a known file type or category',
    'antivirus.attachmentRules[0].namePatterns[0]: "*.{exe" has an unclosed brace',
    'antivirus.attachmentRules[0].namePatterns[1]: "dir/*.exe" must match a file name, without / or \\',
    'antivirus.attachmentRules[0].action: unknown action; use one of the VIRUS_ACTION_ names in policy.proto',
    'antivirus.attachmentRules[1]: set at least one of fileTypes, namePatterns or minBytes',
    'antivirus.attachmentRules[3].name: "inbound-executables" is used by another rule',
  ];
  for (const line of expected)
    assert.ok(errors.includes(line), `missing field error: ${line}\ngot: ${errors.join('\n')}`);
  assert.equal(errors.length, expected.length);
});

test('validatePolicy rejects a policy that accepts no mail', () => {
  const errors = fieldErrorsOf({ ...defaultPolicy(), relayDomains: [], trustedNetworks: [] });
  assert.deepEqual(errors, [
    'relayDomains: empty, and so is trustedNetworks, so the gateway would reject all mail; ' +
      'list the domains it receives mail for',
  ]);
  const outboundOnly = validatePolicy({
    ...defaultPolicy(),
    relayDomains: [],
    trustedNetworks: ['192.0.2.0/24'],
  });
  assert.deepEqual(outboundOnly.relayDomains, []);
});

function overrideOf(fields: Partial<PolicyOverride>): PolicyOverride {
  return {
    recipientDomain: '',
    direction: Direction.DIRECTION_UNSPECIFIED,
    antivirus: undefined,
    antispam: undefined,
    ...fields,
  };
}

function antispamOverride(fields: Partial<AntispamOverride>): AntispamOverride {
  return {
    senderAllowlist: [],
    senderBlocklist: [],
    networkAllowlist: [],
    networkBlocklist: [],
    ...fields,
  };
}

test('validatePolicy accepts and normalizes overrides', () => {
  const policy = validatePolicy({
    ...defaultPolicy(),
    overrides: [
      overrideOf({
        recipientDomain: 'Partner.EXAMPLE.',
        antispam: antispamOverride({ spamThreshold: 10, senderAllowlist: [' friend.example '] }),
      }),
      overrideOf({
        direction: Direction.DIRECTION_OUTBOUND,
        antispam: antispamOverride({ subjectTag: '[OUT]' }),
      }),
    ],
  });
  assert.equal(policy.overrides[0]?.recipientDomain, 'partner.example');
  assert.deepEqual(policy.overrides[0]?.antispam?.senderAllowlist, ['friend.example']);
});

test('validatePolicy names bad overrides', () => {
  const errors = fieldErrorsOf({
    ...defaultPolicy(),
    overrides: [
      overrideOf({ antispam: antispamOverride({ spamThreshold: 10 }) }),
      overrideOf({ recipientDomain: 'bad..example' }),
      overrideOf({ recipientDomain: 'a.example', direction: Direction.DIRECTION_INBOUND }),
      overrideOf({ recipientDomain: 'A.example', direction: Direction.DIRECTION_INBOUND }),
      overrideOf({
        recipientDomain: 'b.example',
        antispam: antispamOverride({
          probableSpamThreshold: 8,
          onSpam: -1 as SpamAction,
          networkBlocklist: ['10.0.0.0/99'],
        }),
      }),
      overrideOf({
        direction: Direction.DIRECTION_OUTBOUND,
        antivirus: {
          inbound: { onInfected: VirusAction.VIRUS_ACTION_SKIP },
          outbound: { onInfected: 42 as VirusAction },
          subjectTags: { sleepy: 'x' },
        },
      }),
      overrideOf({ direction: 7 as Direction }),
    ],
  });
  const expected = [
    'overrides[0]: set recipientDomain, direction or both; settings for all mail belong in the global antivirus and antispam sections',
    'overrides[1].recipientDomain: "bad..example" is not a valid domain name',
    'overrides[2]: changes no setting, yet it would make the interceptor defer mixed recipients; give it antivirus or antispam settings, or remove it',
    'overrides[3]: overrides[2] has the same recipientDomain and direction; merge the two',
    'overrides[3]: changes no setting, yet it would make the interceptor defer mixed recipients; give it antivirus or antispam settings, or remove it',
    'overrides[4].antispam.networkBlocklist[0]: "10.0.0.0/99": prefix length must be a number from 1 to 32',
    'overrides[4].antispam.probableSpamThreshold: 8 must not exceed antispam.spamThreshold (5)',
    'overrides[4].antispam.onSpam: unknown value; use one of the names in policy.proto',
    'overrides[5].antivirus.inbound: never applies, because the override is for outbound mail',
    'overrides[5].antivirus.outbound.onInfected: unknown action; use one of the VIRUS_ACTION_ names in policy.proto',
    'overrides[5].antivirus.subjectTags.sleepy: unknown status; expected one of infected, blocked, protected, corrupted, unscanned',
    'overrides[6].direction: unknown value; use DIRECTION_INBOUND or DIRECTION_OUTBOUND',
  ];
  for (const line of expected)
    assert.ok(errors.includes(line), `missing field error: ${line}\ngot: ${errors.join('\n')}`);
  assert.equal(errors.length, expected.length, errors.join('\n'));
  const indexes = errors.map((error) => Number(/^overrides\[(\d+)\]/.exec(error)?.[1]));
  assert.deepEqual(
    indexes,
    [...indexes].sort((a, b) => a - b),
    'field errors in index order',
  );
});
