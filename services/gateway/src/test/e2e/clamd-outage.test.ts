import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startClamd, type ClamdProcess } from '@mailshield/antivirus/dist/test/helpers.js';
import { Pipeline, waitFor } from '../harness/pipeline.js';
import { assertOutcomes, settle } from '../harness/reconcile.js';
import { corpusMessages, malwareAndSpamMessages, sendAll } from '../harness/traffic.js';
import { assertStoreEmpty } from './main-flow.js';

describe('gateway through a clamd outage', { timeout: 600_000 }, () => {
  let clamd: ClamdProcess;
  let pipeline: Pipeline;

  before(async () => {
    clamd = await startClamd(['ConcurrentDatabaseReload yes']);
    pipeline = new Pipeline('embedded', {
      MAILSHIELD_CLAMD_ADDRESS: `127.0.0.1:${clamd.address.port}`,
      MAILSHIELD_ANTIVIRUS_HEALTH_INTERVAL_SECONDS: '1',
    });
    await pipeline.start();
  });

  after(async () => {
    await pipeline.stop();
    await clamd.stop();
  });

  test('loses nothing and calls nothing clean while clamd is down', async () => {
    const malware = (await malwareAndSpamMessages()).filter((m) => m.expectation === 'infected');
    const messages = [...(await corpusMessages(40, 20, 'outage')), ...malware.slice(0, 12)];
    const half = Math.floor(messages.length / 2);
    const base = pipeline.sink.messages.length;
    const first = await sendAll(pipeline.smtpPort, messages.slice(0, half), 4);
    await waitFor(() => pipeline.sink.messages.length > base, 60_000, 50);

    clamd.process.kill('SIGKILL');
    const second = await sendAll(pipeline.smtpPort, messages.slice(half), 4);
    const paused = await waitFor(
      async () =>
        /mailshield_antivirus_consumption_paused 1/.test(await pipeline.metrics('antivirus')),
      30_000,
      200,
    );
    assert.ok(paused, 'the antivirus did not pause while clamd was down');
    // The malware went in while clamd was down: it must still end in Backup as infected.
    assert.ok(second.some((message) => message.expectation === 'infected'));

    await clamd.restart();
    const sent = [...first, ...second];
    assertOutcomes(sent, await settle(pipeline, sent, 240_000));
    const metrics = await pipeline.metrics('antivirus');
    assert.match(metrics, /mailshield_antivirus_consumption_paused 0/);
    assert.match(metrics, /mailshield_antivirus_errors_total\{reason="AV_CLAMD_[A-Z_]+"\} [1-9]/);
    await assertStoreEmpty(pipeline);
  });
});
