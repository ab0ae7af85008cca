import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultPolicy } from '@mailshield/common';
import { Direction, Policy, SpamAction, VirusAction } from '@mailshield/proto/policy';
import {
  formatPolicyYaml,
  parsePolicyText,
  PolicyFileError,
  readPolicyFile,
} from './policy-file.js';

/** Returns the default policy in file form, with every top-level field written out. */
function basePolicy(): Record<string, unknown> {
  return { ...(Policy.toJSON(defaultPolicy()) as Record<string, unknown>), trustedNetworks: [] };
}

async function withFile(content: unknown, use: (path: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'policy-file-'));
  try {
    const path = join(dir, 'policy.json');
    await writeFile(path, JSON.stringify(content));
    await use(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('readPolicyFile reads zones and domain lists', async () => {
  const antispam = {
    clientBlocklists: [{ zone: 'zen.spamhaus.org', score: 3, returnCodes: ['127.0.0.2'] }],
    url_blocklists: [{ zone: 'dbl.spamhaus.org', score: 2.5 }],
    recipientDomainLists: [{ domain: 'example.com', networkBlocklist: ['192.0.2.0/24'] }],
  };
  await withFile({ ...basePolicy(), antispam }, async (path) => {
    const policy = await readPolicyFile(path);
    assert.equal(policy.antispam?.clientBlocklists[0]?.zone, 'zen.spamhaus.org');
    assert.equal(policy.antispam?.urlBlocklists[0]?.score, 2.5);
    assert.deepEqual(policy.antispam?.recipientDomainLists[0]?.networkBlocklist, ['192.0.2.0/24']);
  });
});

test('readPolicyFile rejects misspelt nested fields', async () => {
  const antispam = {
    clientBlocklists: [{ zone: 'zen.spamhaus.org', scroe: 3 }],
    recipientDomainLists: [{ domain: 'example.com', senderBlocklists: ['example.net'] }],
  };
  await withFile({ ...basePolicy(), antispam }, async (path) => {
    await assert.rejects(readPolicyFile(path), (err) => {
      assert.ok(err instanceof PolicyFileError);
      assert.equal(err.problems.length, 2);
      assert.match(
        err.problems[0]!,
        /^line 1: antispam\.clientBlocklists\[0\]\.scroe: unknown field/,
      );
      assert.match(
        err.problems[1]!,
        /^line 1: antispam\.recipientDomainLists\[0\]\.senderBlocklists: unknown field/,
      );
      return true;
    });
  });
});

function problemsOf(text: string): string[] {
  try {
    parsePolicyText(text, 'policy.yaml');
  } catch (err) {
    assert.ok(err instanceof PolicyFileError);
    return err.problems;
  }
  assert.fail('expected the policy text to be refused');
}

const overridesYaml = `relayDomains: [example.com]
antispam:
  spamThreshold: 6
overrides:
  - recipientDomain: partner.example
    direction: DIRECTION_INBOUND
    antivirus:
      inbound:
        onInfected: VIRUS_ACTION_DELETE_OBJECT
      subjectTags:
        protected: "[ENCRYPTED]"
    antispam:
      spamThreshold: 12
      onSpam: SPAM_ACTION_HOLD
      senderAllowlist:
        - friend.example
`;

test('parsePolicyText reads YAML overrides', () => {
  const policy = parsePolicyText(overridesYaml, 'policy.yaml');
  const override = policy.overrides[0]!;
  assert.equal(policy.antispam?.spamThreshold, 6);
  assert.equal(override.recipientDomain, 'partner.example');
  assert.equal(override.direction, Direction.DIRECTION_INBOUND);
  assert.equal(override.antivirus?.inbound?.onInfected, VirusAction.VIRUS_ACTION_DELETE_OBJECT);
  assert.equal(override.antivirus?.inbound?.onProtected, undefined);
  assert.deepEqual(override.antivirus?.subjectTags, { protected: '[ENCRYPTED]' });
  assert.equal(override.antispam?.spamThreshold, 12);
  assert.equal(override.antispam?.onSpam, SpamAction.SPAM_ACTION_HOLD);
  assert.equal(override.antispam?.probableSpamThreshold, undefined);
  assert.deepEqual(override.antispam?.senderAllowlist, ['friend.example']);
});

test('formatPolicyYaml output reads back unchanged', () => {
  const policy = { ...parsePolicyText(overridesYaml, 'policy.yaml'), version: 7 };
  const again = parsePolicyText(formatPolicyYaml(policy), 'again.yaml');
  assert.deepEqual(again, policy);
});

test('parsePolicyText names line and path of bad values', () => {
  const problems = problemsOf(`relayDomains: example.com
maxMessageBytes: lots
antispam:
  spamThreshold: 5
  onSpam: SPAM_ACTION_SHRED
  subjectTag: [a]
overrides:
  - recipientDomain: partner.example
    antispam:
      spamTreshold: 3
    direction: 2.5
`);
  assert.deepEqual(problems, [
    'line 1: relayDomains: expected a list',
    'line 2: maxMessageBytes: expected a number, got "lots"',
    'line 5: antispam.onSpam: "SPAM_ACTION_SHRED" is not one of ' +
      'SPAM_ACTION_SKIP, SPAM_ACTION_ADD_HEADERS, SPAM_ACTION_TAG_SUBJECT, SPAM_ACTION_REJECT, ' +
      'SPAM_ACTION_DELETE, SPAM_ACTION_HOLD',
    'line 6: antispam.subjectTag: expected text, got a list or mapping',
    'line 10: overrides[0].antispam.spamTreshold: unknown field; expected one of spamThreshold, ' +
      'probableSpamThreshold, onSpam, onProbableSpam, onBlacklisted, onMassMailing, subjectTag, ' +
      'senderAllowlist, senderBlocklist, networkAllowlist, networkBlocklist',
    'line 11: overrides[0].direction: 2.5 is not one of DIRECTION_INBOUND, DIRECTION_OUTBOUND',
  ]);
});

test('parsePolicyText reports YAML syntax errors by line', () => {
  const problems = problemsOf('relayDomains:\n  - a.example\n bad: [\n');
  assert.ok(problems.length > 0);
  assert.match(problems[0]!, /^line \d+: /);
});

test('parsePolicyText reads the JSON form', () => {
  const json = JSON.stringify(Policy.toJSON({ ...defaultPolicy(), version: 3 }));
  const policy = parsePolicyText(json, 'policy.json');
  assert.equal(policy.version, 3);
  assert.deepEqual(policy.relayDomains, ['example.com']);
});
