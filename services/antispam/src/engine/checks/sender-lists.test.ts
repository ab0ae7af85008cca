import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, testContext } from '../../test/fixtures.js';
import { senderListsCheck } from './sender-lists.js';

async function run(from: string, mailFrom: string, lists: { allow?: string[]; block?: string[] }) {
  const message = await parse({ headers: { From: from } });
  const context = testContext({
    mailFrom,
    policy: { senderAllowlist: lists.allow ?? [], senderBlocklist: lists.block ?? [] },
  });
  return senderListsCheck.run(message, context) as {
    name: string;
    effect?: string;
    object: string;
  }[];
}

describe('senderListsCheck', () => {
  it('allows a sender whose envelope and From match by domain', async () => {
    const findings = await run('Alice <alice@example.org>', 'alice@example.org', {
      allow: ['example.org'],
    });
    assert.equal(findings[0]?.effect, 'allow');
  });

  it('allows by whole address and by @domain entries', async () => {
    assert.equal(
      (await run('alice@example.org', 'alice@example.org', { allow: ['Alice@Example.org'] }))[0]
        ?.effect,
      'allow',
    );
    assert.equal(
      (await run('alice@example.org', '', { allow: ['@example.org'] }))[0]?.effect,
      'allow',
    );
  });

  it('does not allow when only the From matches', async () => {
    assert.deepEqual(
      await run('alice@example.org', 'bounce@example.net', { allow: ['example.org'] }),
      [],
    );
  });

  it('does not allow when only the envelope sender matches', async () => {
    assert.deepEqual(
      await run('alice@example.net', 'alice@example.org', { allow: ['example.org'] }),
      [],
    );
  });

  it('does not allow the fake domain of a quoted local part', async () => {
    const findings = await run('"ceo@example.com x"@example.net', '', {
      allow: ['example.com', 'ceo@example.com'],
    });
    assert.deepEqual(findings, []);
  });

  it('blocks on the From domain', async () => {
    const findings = await run('"ceo@example.com x"@example.net', 'x@example.org', {
      block: ['example.net'],
    });
    assert.equal(findings[0]?.effect, 'block');
    assert.equal(findings[0]?.object, 'header:From');
  });

  it('blocks on the envelope sender address', async () => {
    const findings = await run('alice@example.org', 'spammer@example.net', {
      block: ['spammer@example.net'],
    });
    assert.equal(findings[0]?.effect, 'block');
    assert.equal(findings[0]?.object, 'envelope');
  });

  it('block list wins over the allow list', async () => {
    const findings = await run('alice@example.org', 'alice@example.org', {
      allow: ['example.org'],
      block: ['alice@example.org'],
    });
    assert.equal(findings[0]?.effect, 'block');
  });

  it('finds nothing when no list matches', async () => {
    assert.deepEqual(
      await run('alice@example.org', 'alice@example.org', {
        allow: ['example.com'],
        block: ['example.net'],
      }),
      [],
    );
  });
});
