import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPolicy, InvalidArgumentError } from '@mailshield/common';
import type { AntispamPolicy, Policy } from '@mailshield/proto/policy';
import { ErrorCodes } from '../errors.js';
import { validatePolicy } from './validate.js';

function withAntispam(antispam: Partial<AntispamPolicy>): Policy {
  const base = defaultPolicy();
  return { ...base, antispam: { ...base.antispam!, ...antispam } };
}

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

const lists = {
  senderAllowlist: [],
  senderBlocklist: [],
  networkAllowlist: [],
  networkBlocklist: [],
};

test('validatePolicy accepts and normalizes lists and zones', () => {
  const policy = validatePolicy(
    withAntispam({
      networkAllowlist: [' 192.0.2.0/24 ', '2001:db8::1'],
      networkBlocklist: ['198.51.100.7'],
      recipientDomainLists: [
        { ...lists, domain: ' Example.COM ', senderBlocklist: ['@example.net'] },
      ],
      clientBlocklists: [{ zone: 'Zen.Spamhaus.ORG.', score: 3, returnCodes: [' 127.0.0.2'] }],
      urlBlocklists: [{ zone: 'dbl.spamhaus.org', score: 2.5, returnCodes: [] }],
    }),
  );
  const antispam = policy.antispam!;
  assert.deepEqual(antispam.networkAllowlist, ['192.0.2.0/24', '2001:db8::1']);
  assert.equal(antispam.recipientDomainLists[0]?.domain, 'example.com');
  assert.deepEqual(antispam.clientBlocklists[0], {
    zone: 'zen.spamhaus.org',
    score: 3,
    returnCodes: ['127.0.0.2'],
  });
});

test('validatePolicy accepts a negative zone score', () => {
  const policy = withAntispam({
    clientBlocklists: [{ zone: 'list.dnswl.example', score: -2, returnCodes: [] }],
  });
  assert.equal(validatePolicy(policy).antispam?.clientBlocklists[0]?.score, -2);
});

test('validatePolicy names bad lists and zones', () => {
  const errors = fieldErrorsOf(
    withAntispam({
      senderAllowlist: ['not an address'],
      networkAllowlist: ['0.0.0.0/0', 'mail.example.org'],
      networkBlocklist: ['192.0.2.0/33'],
      recipientDomainLists: [
        { ...lists, domain: 'example.com', networkBlocklist: ['300.0.0.1'] },
        { ...lists, domain: 'EXAMPLE.com' },
        { ...lists, domain: 'bad..example', senderBlocklist: ['a b@example.org'] },
      ],
      clientBlocklists: [
        { zone: 'zen.example.net', score: Number.NaN, returnCodes: ['127.0.0.x'] },
        { zone: 'zen.example.net', score: 1, returnCodes: [] },
        { zone: 'localhost', score: 1, returnCodes: [] },
      ],
      urlBlocklists: [{ zone: 'dbl example.net', score: 1, returnCodes: [] }],
    }),
  );
  const expected = [
    'antispam.senderAllowlist[0]: "not an address" is not an address, a domain or @domain',
    'antispam.networkAllowlist[0]: "0.0.0.0/0": prefix length 0 would match every client',
    'antispam.networkAllowlist[1]: "mail.example.org": expected an address or CIDR block such as 192.0.2.0/24 or 2001:db8::/32',
    'antispam.networkBlocklist[0]: "192.0.2.0/33": prefix length must be a number from 1 to 32',
    'antispam.recipientDomainLists[0].networkBlocklist[0]: "300.0.0.1": expected an address or CIDR block such as 192.0.2.0/24 or 2001:db8::/32',
    'antispam.recipientDomainLists[1].domain: "example.com" has another entry; merge the two',
    'antispam.recipientDomainLists[2].domain: "bad..example" is not a valid domain name',
    'antispam.recipientDomainLists[2].senderBlocklist[0]: "a b@example.org" is not an address, a domain or @domain',
    'antispam.clientBlocklists[0].score: must be a number',
    'antispam.clientBlocklists[0].returnCodes[0]: "127.0.0.x" is not an IPv4 address such as 127.0.0.2',
    'antispam.clientBlocklists[1].zone: "zen.example.net" is listed twice',
    'antispam.clientBlocklists[2].zone: "localhost" is not a DNS zone such as zen.spamhaus.org',
    'antispam.urlBlocklists[0].zone: "dbl example.net" is not a DNS zone such as zen.spamhaus.org',
  ];
  for (const line of expected)
    assert.ok(errors.includes(line), `missing field error: ${line}\ngot: ${errors.join('\n')}`);
  assert.equal(errors.length, expected.length, errors.join('\n'));
});

test('validatePolicy caps the zones of a list', () => {
  const zones = Array.from({ length: 21 }, (_, i) => ({
    zone: `bl${i}.example.net`,
    score: 1,
    returnCodes: [],
  }));
  assert.deepEqual(fieldErrorsOf(withAntispam({ urlBlocklists: zones })), [
    'antispam.urlBlocklists: at most 20 zones',
  ]);
});

test('reportHeader must be a free field name', () => {
  const base = defaultPolicy();
  for (const [name, message] of [
    ['X Spam: report', 'is not a header field name'],
    ['X-Spam-Status', 'is already written with other content'],
  ] as const) {
    const errors = fieldErrorsOf({ ...base, antispam: { ...base.antispam!, reportHeader: name } });
    assert.ok(
      errors.some((error) => error.startsWith('antispam.reportHeader:') && error.includes(message)),
      errors.join('\n'),
    );
  }
  const renamed = validatePolicy({
    ...base,
    antispam: { ...base.antispam!, reportHeader: 'X-Spam-Report' },
  });
  assert.equal(renamed.antispam?.reportHeader, 'X-Spam-Report');
});
