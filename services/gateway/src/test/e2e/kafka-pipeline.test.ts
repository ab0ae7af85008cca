import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { credentials, Metadata } from '@grpc/grpc-js';
import { getHeader } from '@mailshield/common';
import { AntivirusClient, type ScanMessageResponse } from '@mailshield/proto/antivirus';
import { QueueMode } from '@mailshield/proto/message';
import { VirusAction } from '@mailshield/proto/policy';
import { Pipeline, waitFor } from '../harness/pipeline.js';
import { SmtpTestClient } from '../harness/smtp-client.js';
import { buildMessage, EICAR } from '../harness/messages.js';
import { assertOutcomes, settle } from '../harness/reconcile.js';
import {
  corpusMessages,
  RECIPIENT,
  RUN_ID,
  SENDER,
  sendAll,
  type TestMessage,
} from '../harness/traffic.js';
import { runMainFlow } from './main-flow.js';

function eicarMessage(name: string): TestMessage {
  const testId = `${name}-${RUN_ID}`;
  return {
    testId,
    expectation: 'infected',
    to: RECIPIENT,
    raw: buildMessage({
      from: SENDER,
      to: RECIPIENT,
      subject: testId,
      text: 'attached',
      attachments: [{ name: 'eicar.com', content: EICAR }],
      testId,
    }),
  };
}

describe('pipeline on Kafka and PostgreSQL', { timeout: 900_000 }, () => {
  const pipeline = new Pipeline('kafka');

  before(async () => {
    await pipeline.start();
  });

  after(async () => {
    await pipeline.stop();
  });

  test('accounts for every message of the main flow', async () => {
    await runMainFlow(pipeline);
  });

  test('exports metrics by stage and verdict', async () => {
    const expected: [keyof Pipeline['metricsPorts'], string[]][] = [
      [
        'interceptor',
        [
          'mailshield_interceptor_messages_accepted_total{mode="after_queue"}',
          'mailshield_interceptor_deliveries_total{result="delivered"}',
          'mailshield_interceptor_end_of_data_seconds_bucket',
          'mailshield_interceptor_consumer_lag',
          '# TYPE mailshield_interceptor_errors_total counter',
        ],
      ],
      [
        'antivirus',
        [
          'mailshield_antivirus_messages_total{status="infected"',
          'mailshield_antivirus_messages_total{status="clean"',
          'mailshield_antivirus_scan_duration_seconds_bucket',
          'mailshield_antivirus_consumer_lag',
          '# TYPE mailshield_antivirus_errors_total counter',
        ],
      ],
      [
        'antispam',
        [
          'mailshield_antispam_messages_total{status="spam"',
          'mailshield_antispam_score_duration_seconds_bucket',
          'mailshield_antispam_consumer_lag',
          '# TYPE mailshield_antispam_errors_total counter',
        ],
      ],
      [
        'control-plane',
        [
          'mailshield_control_plane_backup_stored_total{status="infected"}',
          'mailshield_control_plane_component_up',
        ],
      ],
    ];
    for (const [service, names] of expected) {
      const text = await pipeline.metrics(service);
      for (const name of names)
        assert.ok(text.includes(name), `${service} does not export ${name}`);
    }
  });

  test('keeps one trace across Kafka topics', async () => {
    const infected = (await pipeline.listBackups()).find((entry) => entry.status === 'infected');
    assert.ok(infected !== undefined, 'no infected message in Backup');
    const entry = await pipeline.getBackup(infected.id);
    const traceIds = [...entry.record!.outcomes, entry.outcome!].map((outcome) => outcome.traceId);
    assert.equal(traceIds.length, 2, 'expected the outcomes of the interceptor and the antivirus');
    assert.match(traceIds[0]!, /^[0-9a-f]{32}$/);
    assert.deepEqual(
      new Set(traceIds).size,
      1,
      `stages recorded different traces: ${traceIds.join(' ')}`,
    );
  });

  test('continues the caller trace over gRPC', async () => {
    const traceId = randomBytes(16).toString('hex');
    const metadata = new Metadata();
    metadata.set('traceparent', `00-${traceId}-${randomBytes(8).toString('hex')}-01`);
    const client = new AntivirusClient(
      `127.0.0.1:${pipeline.grpcPorts.antivirus}`,
      credentials.createInsecure(),
    );
    const response = await new Promise<ScanMessageResponse>((resolve, reject) =>
      client.scanMessage(
        {
          raw: buildMessage({ from: SENDER, to: RECIPIENT, subject: 'trace', text: 'hello' }),
          id: 'trace-test',
          outbound: false,
        },
        metadata,
        (err, value) => (err ? reject(err) : resolve(value)),
      ),
    );
    client.close();
    assert.equal(response.outcome!.status, 'clean');
    assert.equal(response.outcome!.traceId, traceId);
  });

  test('releases a backed-up message through delivery', async () => {
    const infected = (await pipeline.listBackups()).find(
      (entry) => entry.status === 'infected' && entry.releasedAt === undefined,
    );
    assert.ok(infected !== undefined, 'no unreleased infected message in Backup');
    const original = (await pipeline.getBackup(infected.id)).record!;
    await pipeline.releaseBackup(infected.id, ['admin@example.com']);
    const isDelivered = await waitFor(
      () =>
        pipeline.sink.messages.some(
          (m) =>
            m.to.includes('admin@example.com') &&
            m.raw.subarray(m.raw.length - original.raw.length).equals(original.raw) &&
            getHeader(m.raw, 'X-Mailshield-Released') !== undefined,
        ),
      60_000,
    );
    assert.ok(
      isDelivered,
      'the released message did not reach the next hop unchanged, behind a release header',
    );
    const released = (await pipeline.listBackups()).find((entry) => entry.id === infected.id);
    assert.ok(released?.releasedAt instanceof Date, 'the release was not recorded');
  });

  test('refuses to relay for a foreign domain', async () => {
    const client = await SmtpTestClient.connect(pipeline.smtpPort);
    assert.equal((await client.command(`MAIL FROM:<${SENDER}>`)).code, 250);
    const reply = await client.command('RCPT TO:<someone@not-relayed.test>');
    assert.equal(reply.code, 550);
    assert.match(reply.text, /5\.7\.1/);
    const data = await client.command('DATA');
    assert.ok(data.code >= 500, `DATA without a recipient got ${data.code}`);
    await client.quit();
  });

  test('loses nothing when the antivirus is killed mid-run', async () => {
    const messages = await corpusMessages(150, 0, 'crash');
    const base = pipeline.sink.messages.length;
    const sending = sendAll(pipeline.smtpPort, messages, 4);
    await waitFor(() => pipeline.sink.messages.length > base + 20, 60_000);
    await pipeline.process('antivirus').stop('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await pipeline.process('antivirus').start();
    const sent = await sending;
    assertOutcomes(sent, await settle(pipeline, sent, 240_000));
  });

  test('applies a new antivirus action without a restart', async () => {
    await pipeline.updatePolicy((policy) => {
      policy.antivirus!.inbound!.onInfected = VirusAction.VIRUS_ACTION_REJECT;
    });
    const flowing = sendAll(
      pipeline.smtpPort,
      [eicarMessage('live-before-1'), eicarMessage('live-before-2')],
      1,
    );
    await flowing;
    await pipeline.updatePolicy((policy) => {
      policy.antivirus!.inbound!.onInfected = VirusAction.VIRUS_ACTION_DELETE_OBJECT;
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const afterChange = await sendAll(
      pipeline.smtpPort,
      [eicarMessage('live-after-1'), eicarMessage('live-after-2')],
      1,
    );
    const delivered = await waitFor(
      () =>
        afterChange.every((m) =>
          pipeline.sink.messages.some((s) => getHeader(s.raw, 'X-Test-Id') === m.testId),
        ),
      120_000,
    );
    assert.ok(delivered, 'messages sent after the change were not delivered with the part removed');
    for (const message of afterChange) {
      const copy = pipeline.sink.messages.find(
        (s) => getHeader(s.raw, 'X-Test-Id') === message.testId,
      )!;
      assert.ok(
        !copy.raw.toString('latin1').includes(EICAR.toString('base64').slice(0, 40)),
        'EICAR is still attached',
      );
      assert.match(copy.raw.toString('latin1'), /removed/i);
    }
    await pipeline.updatePolicy((policy) => {
      policy.antivirus!.inbound!.onInfected = VirusAction.VIRUS_ACTION_REJECT;
    });
  });

  test('runs with a policy changed while the interceptor was stopped', async () => {
    const interceptor = pipeline.process('interceptor');
    await interceptor.stop('SIGTERM');
    const stored = await pipeline.updatePolicy((policy) => {
      policy.relayDomains = [...policy.relayDomains, 'example.net'];
    });
    assert.ok(stored.relayDomains.includes('example.net'));
    await interceptor.start();
    const client = await SmtpTestClient.connect(pipeline.smtpPort);
    const result = await client.send(
      SENDER,
      ['someone@example.net'],
      buildMessage({
        from: SENDER,
        to: 'someone@example.net',
        subject: 'new domain',
        text: 'hello',
        testId: 'new-domain',
      }),
    );
    await client.quit();
    assert.equal(result.reply.code, 250, `${result.reply.code} ${result.reply.text}`);
  });

  test('answers 550 for a virus in before-queue mode', async () => {
    await pipeline.updatePolicy((policy) => {
      policy.queueMode = QueueMode.QUEUE_MODE_BEFORE_QUEUE;
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const [infected] = await sendAll(pipeline.smtpPort, [eicarMessage('before-queue-eicar')], 1);
    assert.equal(infected!.reply.code, 550, `${infected!.reply.code} ${infected!.reply.text}`);
    assert.match(infected!.reply.text, /5\.7\.1/);
    const clean = await corpusMessages(1, 0, 'before-queue');
    const [accepted] = await sendAll(pipeline.smtpPort, clean, 1);
    assert.equal(accepted!.reply.code, 250, `${accepted!.reply.code} ${accepted!.reply.text}`);
    await pipeline.updatePolicy((policy) => {
      policy.queueMode = QueueMode.QUEUE_MODE_AFTER_QUEUE;
    });
  });
});
