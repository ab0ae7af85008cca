import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Pipeline, waitFor } from '../harness/pipeline.js';
import { SmtpTestClient } from '../harness/smtp-client.js';
import { assertOutcomes, settle } from '../harness/reconcile.js';
import { corpusMessages, SENDER, sendAll } from '../harness/traffic.js';
import { runMainFlow } from './main-flow.js';

describe('one-process gateway on the on-disk journal', { timeout: 900_000 }, () => {
  const pipeline = new Pipeline('embedded');

  before(async () => {
    await pipeline.start();
  });

  after(async () => {
    await pipeline.stop();
  });

  test('accounts for every message of the main flow', async () => {
    await runMainFlow(pipeline);
  });

  test('refuses to relay for a foreign domain', async () => {
    const client = await SmtpTestClient.connect(pipeline.smtpPort);
    assert.equal((await client.command(`MAIL FROM:<${SENDER}>`)).code, 250);
    const reply = await client.command('RCPT TO:<someone@not-relayed.test>');
    assert.equal(reply.code, 550);
    assert.match(reply.text, /5\.7\.1/);
    await client.quit();
  });

  test('loses nothing when the gateway is killed mid-run', async () => {
    const messages = await corpusMessages(120, 0, 'crash');
    const base = pipeline.sink.messages.length;
    const first = await sendAll(pipeline.smtpPort, messages.slice(0, 60), 4);
    await waitFor(() => pipeline.sink.messages.length > base, 30_000, 50);
    await pipeline.process('gateway').stop('SIGKILL');
    await pipeline.process('gateway').start();
    const second = await sendAll(pipeline.smtpPort, messages.slice(60), 4);
    const sent = [...first, ...second];
    // Deliveries in flight at the kill may happen twice (at-least-once at the next hop).
    assertOutcomes(sent, await settle(pipeline, sent, 240_000), 8);
  });
});
