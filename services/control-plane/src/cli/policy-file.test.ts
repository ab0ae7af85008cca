import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultPolicy } from '@mailshield/common';
import { Policy } from '@mailshield/proto/policy';
import { PolicyFileError, readPolicyFile } from './policy-file.js';

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

test('readPolicyFile refuses misspelt nested fields', async () => {
  const antispam = {
    clientBlocklists: [{ zone: 'zen.spamhaus.org', scroe: 3 }],
    recipientDomainLists: [{ domain: 'example.com', senderBlocklists: ['example.net'] }],
  };
  await withFile({ ...basePolicy(), antispam }, async (path) => {
    await assert.rejects(readPolicyFile(path), (err) => {
      assert.ok(err instanceof PolicyFileError);
      assert.equal(err.problems.length, 2);
      assert.match(err.problems[0]!, /^antispam\.clientBlocklists\[0\]\.scroe: unknown field/);
      assert.match(
        err.problems[1]!,
        /^antispam\.recipientDomainLists\[0\]\.senderBlocklists: unknown field/,
      );
      return true;
    });
  });
});
