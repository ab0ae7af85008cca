import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Direction, SpamAction } from '@mailshield/proto/policy';
import { buildMessage, GTUBE } from '../harness/messages.js';
import { Pipeline, waitFor } from '../harness/pipeline.js';
import { SmtpTestClient } from '../harness/smtp-client.js';
import { RUN_ID, SENDER, withTestId } from '../harness/traffic.js';

/** GTUBE to `to`, with a test id that names the recipient domain. */
function gtubeTo(to: string): { testId: string; raw: Buffer } {
  const testId = `override-${RUN_ID}-${to}`;
  const raw = buildMessage({ from: SENDER, to, subject: 'override check', text: GTUBE });
  return { testId, raw: withTestId(raw, testId) };
}

describe('policy overrides through the gateway', { timeout: 300_000 }, () => {
  const pipeline = new Pipeline('embedded');
  let version = 0;

  before(async () => {
    await pipeline.start();
    const stored = await pipeline.updatePolicy((policy) => {
      policy.relayDomains.push('strict.example');
      policy.overrides = [
        {
          recipientDomain: 'strict.example',
          direction: Direction.DIRECTION_INBOUND,
          antivirus: undefined,
          antispam: {
            onSpam: SpamAction.SPAM_ACTION_HOLD,
            senderAllowlist: [],
            senderBlocklist: [],
            networkAllowlist: [],
            networkBlocklist: [],
          },
        },
      ];
    });
    version = stored.version;
    for (const service of ['interceptor', 'antispam'] as const) {
      const applied = await waitFor(
        async () =>
          (await pipeline.metrics(service)).includes(
            `mailshield_${service}_policy_version ${version}`,
          ),
        30_000,
        200,
      );
      assert.ok(applied, `${service} did not apply policy version ${version}`);
    }
  });

  after(async () => {
    await pipeline.stop();
  });

  test('override holds spam for one domain only', async () => {
    const client = await SmtpTestClient.connect(pipeline.smtpPort);
    const tagged = gtubeTo('user@example.com');
    const held = gtubeTo('user@strict.example');
    assert.equal((await client.send(SENDER, ['user@example.com'], tagged.raw)).reply.code, 250);
    assert.equal((await client.send(SENDER, ['user@strict.example'], held.raw)).reply.code, 250);
    await client.quit();

    const delivered = () =>
      pipeline.sink.messages.find((message) => message.raw.includes(`X-Test-Id: ${tagged.testId}`));
    assert.ok(await waitFor(() => delivered() !== undefined, 120_000), 'example.com mail lost');
    assert.match(delivered()!.raw.toString(), /^Subject: \[SPAM\] override check\r$/m);

    const heldEntry = async () =>
      (await pipeline.listBackups()).find((entry) => entry.rcptTo.includes('user@strict.example'));
    assert.ok(await waitFor(async () => (await heldEntry()) !== undefined, 120_000));
    const entry = (await heldEntry())!;
    assert.equal(entry.status, 'spam');
    assert.equal(entry.action, 'hold');
    assert.ok(
      !pipeline.sink.messages.some((message) => message.raw.includes(`X-Test-Id: ${held.testId}`)),
      'held spam reached the next hop',
    );
  });

  test('mixed override groups get 452 for the second', async () => {
    const client = await SmtpTestClient.connect(pipeline.smtpPort);
    assert.equal((await client.command(`MAIL FROM:<${SENDER}>`)).code, 250);
    assert.equal((await client.command('RCPT TO:<user@example.com>')).code, 250);
    const reply = await client.command('RCPT TO:<user@strict.example>');
    assert.equal(reply.code, 452);
    assert.match(reply.text, /4\.5\.3/);
    await client.quit();
  });
});
