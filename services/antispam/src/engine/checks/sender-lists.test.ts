import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Envelope } from '@mailshield/proto/message';
import type { AntispamPolicy, RecipientDomainLists } from '@mailshield/proto/policy';
import { parse, RECEIVED_AT, testContext } from '../../test/fixtures.js';
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

interface Delivery {
  clientAddress?: string;
  rcptTo?: string[];
  from?: string;
  mailFrom?: string;
  policy: Partial<AntispamPolicy>;
}

async function deliver(delivery: Delivery) {
  const message = await parse({ headers: { From: delivery.from ?? 'alice@example.org' } });
  const context = {
    ...testContext({ policy: delivery.policy }),
    envelope: Envelope.fromPartial({
      clientAddress: delivery.clientAddress ?? '198.51.100.7',
      mailFrom: delivery.mailFrom ?? 'alice@example.org',
      rcptTo: delivery.rcptTo ?? ['bob@example.com'],
      receivedAt: RECEIVED_AT,
    }),
  };
  return (await senderListsCheck.run(message, context)).map((finding) => ({
    name: finding.name,
    effect: finding.effect,
    detail: finding.detail,
  }));
}

function domainLists(domain: string, lists: Partial<RecipientDomainLists>): RecipientDomainLists {
  return {
    domain,
    senderAllowlist: [],
    senderBlocklist: [],
    networkAllowlist: [],
    networkBlocklist: [],
    ...lists,
  };
}

describe('senderListsCheck network lists', () => {
  it('blocks a client in a blocked network', async () => {
    const findings = await deliver({ policy: { networkBlocklist: ['198.51.100.0/24'] } });
    assert.equal(findings[0]?.name, 'NETWORK_BLOCKLISTED');
    assert.equal(findings[0]?.effect, 'block');
    assert.match(findings[0]?.detail ?? '', /198\.51\.100\.0\/24/);
  });

  it('does not block a client outside the blocked networks', async () => {
    const policy = { networkBlocklist: ['198.51.101.0/24', '2001:db8::/32', '203.0.113.5'] };
    assert.deepEqual(await deliver({ policy }), []);
  });

  it('matches addresses, IPv6 and mapped clients', async () => {
    const policy = { networkBlocklist: ['203.0.113.5', '2001:db8::/32'] };
    for (const clientAddress of ['203.0.113.5', '::ffff:203.0.113.5', '2001:db8:1::25']) {
      const findings = await deliver({ clientAddress, policy });
      assert.equal(findings[0]?.name, 'NETWORK_BLOCKLISTED', clientAddress);
    }
  });

  it('allows any sender from allowed network', async () => {
    const findings = await deliver({
      from: 'someone@example.net',
      mailFrom: 'bounce@example.net',
      policy: { networkAllowlist: ['198.51.100.0/25'] },
    });
    assert.deepEqual(
      findings.map((finding) => [finding.name, finding.effect]),
      [['NETWORK_ALLOWLISTED', 'allow']],
    );
  });

  it('does not allow a client outside the allowed networks', async () => {
    const findings = await deliver({ policy: { networkAllowlist: ['198.51.100.128/25'] } });
    assert.deepEqual(findings, []);
  });

  it('sender block wins over network allow', async () => {
    const findings = await deliver({
      policy: { networkAllowlist: ['198.51.100.0/24'], senderBlocklist: ['example.org'] },
    });
    assert.equal(findings[0]?.name, 'SENDER_BLOCKLISTED');
  });
});

describe('senderListsCheck recipient domain lists', () => {
  it('blocks with the lists of a recipient domain', async () => {
    const policy = {
      recipientDomainLists: [domainLists('example.com', { senderBlocklist: ['example.org'] })],
    };
    const findings = await deliver({ policy });
    assert.equal(findings[0]?.name, 'SENDER_BLOCKLISTED');
    assert.match(findings[0]?.detail ?? '', /recipient domain example\.com/);
  });

  it('ignores the lists of a domain that is not a recipient', async () => {
    const policy = {
      recipientDomainLists: [
        domainLists('example.net', {
          senderBlocklist: ['example.org'],
          networkBlocklist: ['198.51.100.0/24'],
        }),
      ],
    };
    assert.deepEqual(await deliver({ policy }), []);
  });

  it('blocks by network for one recipient domain', async () => {
    const policy = {
      recipientDomainLists: [domainLists('example.com', { networkBlocklist: ['198.51.100.0/24'] })],
    };
    const findings = await deliver({ rcptTo: ['Bob@Example.COM'], policy });
    assert.equal(findings[0]?.name, 'NETWORK_BLOCKLISTED');
  });

  it('allows with the lists of a recipient domain', async () => {
    const policy = {
      recipientDomainLists: [domainLists('example.com', { senderAllowlist: ['example.org'] })],
    };
    const findings = await deliver({ policy });
    assert.equal(findings[0]?.name, 'SENDER_ALLOWLISTED');
  });

  it('allows only when every recipient domain allows', async () => {
    const policy = {
      recipientDomainLists: [domainLists('example.com', { senderAllowlist: ['example.org'] })],
    };
    const rcptTo = ['bob@example.com', 'carol@example.net'];
    assert.deepEqual(await deliver({ rcptTo, policy }), []);
    const both = {
      recipientDomainLists: [
        ...policy.recipientDomainLists,
        domainLists('example.net', { networkAllowlist: ['198.51.100.7'] }),
      ],
    };
    const findings = await deliver({ rcptTo, policy: both });
    assert.deepEqual(findings.map((finding) => finding.name).sort(), [
      'NETWORK_ALLOWLISTED',
      'SENDER_ALLOWLISTED',
    ]);
  });

  it('combines global and recipient domain allow lists', async () => {
    const findings = await deliver({
      from: 'alice@example.org',
      mailFrom: 'bounce@example.net',
      policy: {
        senderAllowlist: ['example.org'],
        recipientDomainLists: [domainLists('example.com', { senderAllowlist: ['example.net'] })],
      },
    });
    assert.equal(findings[0]?.name, 'SENDER_ALLOWLISTED');
  });
});
