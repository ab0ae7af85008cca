import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  clientChannelOptions,
  decodeRecord,
  encodeRecord,
  insecureCredentials,
  Topics,
  type ConsumedRecord,
} from '@mailshield/common';
import { CanaryClient, CanaryKind, type InjectResponse } from '@mailshield/proto/canary';
import { Disposition, QueueMode, Stage, type MessageRecord } from '@mailshield/proto/message';
import {
  startTestInterceptor,
  topicRecords,
  waitFor,
  type TestInterceptor,
} from '../support/harness.js';
import { MAX_CANARIES_IN_FLIGHT } from '../../handlers/canary.js';
import { SmtpTalk } from '../support/smtp-talk.js';

/**
 * Starts a fake stand-in for the scanners that publishes a verdict for each inbound record.
 * A message with an eicar.com attachment gets REJECT and an infected antivirus outcome. Any
 * other gets DELIVER and a spam antispam outcome, so only the canary flag keeps it from delivery.
 */
async function startFakeScanners(interceptor: TestInterceptor): Promise<{ stop(): Promise<void> }> {
  return interceptor.bus.subscribe({
    topic: Topics.inbound,
    groupId: 'fake-scanners',
    fromLatest: true,
    handleBatch: async (records: ConsumedRecord[]) => {
      for (const consumed of records) {
        const record = decodeRecord(consumed);
        const isInfected = record.raw.toString('latin1').includes('filename="eicar.com"');
        const verdict: MessageRecord = {
          ...record,
          disposition: isInfected
            ? Disposition.DISPOSITION_REJECT
            : Disposition.DISPOSITION_DELIVER,
          outcomes: [
            ...record.outcomes,
            isInfected
              ? { ...record.outcomes[0]!, stage: Stage.STAGE_ANTIVIRUS, status: 'infected' }
              : { ...record.outcomes[0]!, stage: Stage.STAGE_ANTISPAM, status: 'spam' },
          ],
        };
        await interceptor.bus.publish(Topics.verdicts, [encodeRecord(verdict)]);
      }
    },
  });
}

function inject(
  interceptor: TestInterceptor,
  kind: CanaryKind,
  deadlineSeconds: number,
): Promise<InjectResponse> {
  const client = new CanaryClient(
    `127.0.0.1:${interceptor.service.ports['grpc']}`,
    insecureCredentials,
    clientChannelOptions,
  );
  return new Promise<InjectResponse>((resolve, reject) =>
    client.inject({ kind, deadlineSeconds }, (err: ServiceError | null, response) =>
      err === null ? resolve(response) : reject(err),
    ),
  ).finally(() => client.close());
}

async function sendClaimingCanary(port: number): Promise<string> {
  const talk = await SmtpTalk.open(port);
  await talk.reply();
  await talk.command('EHLO client.example.org');
  await talk.command('MAIL FROM:<self-test@mailshield.invalid>');
  await talk.command('RCPT TO:<b@example.com>');
  await talk.command('DATA');
  talk.write(
    'Subject: mailshield self-test eicar\r\nX-Mailshield-Canary: true\r\n\r\nbody\r\n.\r\n',
  );
  const reply = await talk.reply();
  talk.close();
  return reply;
}

for (const queueMode of [QueueMode.QUEUE_MODE_AFTER_QUEUE, QueueMode.QUEUE_MODE_BEFORE_QUEUE]) {
  describe(`Canary.Inject in ${queueMode === QueueMode.QUEUE_MODE_AFTER_QUEUE ? 'after' : 'before'}-queue mode`, () => {
    let interceptor: TestInterceptor;
    let scanners: { stop(): Promise<void> };
    before(async () => {
      interceptor = await startTestInterceptor({ policy: { queueMode } });
      scanners = await startFakeScanners(interceptor);
    });
    after(async () => {
      await scanners.stop();
      await interceptor.cleanup();
    });

    test('returns the final verdict', async () => {
      const response = await inject(interceptor, CanaryKind.CANARY_KIND_EICAR, 10);
      assert.equal(response.completed, true);
      assert.equal(response.queueMode, queueMode);
      assert.equal(response.disposition, Disposition.DISPOSITION_REJECT);
      assert.deepEqual(
        response.outcomes.map((outcome) => [outcome.stage, outcome.status]),
        [
          [Stage.STAGE_INTERCEPTOR, 'accepted'],
          [Stage.STAGE_ANTIVIRUS, 'infected'],
        ],
      );
      const published = topicRecords(interceptor.bus, Topics.inbound).find(
        (record) => record.id === response.messageId,
      );
      assert.ok(published !== undefined, 'the canary was not written to the inbound topic');
      assert.equal(published.canary, true);
      assert.equal(published.queueMode, queueMode);
      assert.deepEqual(published.envelope?.rcptTo, ['self-test@mailshield.invalid']);
      assert.match(published.raw.toString('latin1'), /^Received: from /);
    });

    test('delivers no canary', async () => {
      const response = await inject(interceptor, CanaryKind.CANARY_KIND_GTUBE, 10);
      assert.equal(response.completed, true);
      assert.equal(response.disposition, Disposition.DISPOSITION_DELIVER);
      await waitFor(
        () =>
          interceptor.bus.committedOffset('mailshield-delivery', Topics.verdicts) ===
          interceptor.bus.records(Topics.verdicts).length,
        'the delivery consumer to catch up',
      );
      const files = await readdir(interceptor.options.deliveryDir).catch(() => []);
      assert.deepEqual(files, []);
    });
  });
}

describe('Canary.Inject limits', () => {
  let interceptor: TestInterceptor;
  before(async () => {
    interceptor = await startTestInterceptor();
  });
  after(async () => {
    await interceptor.cleanup();
  });

  test('stops waiting at the deadline', async () => {
    const started = performance.now();
    const response = await inject(interceptor, CanaryKind.CANARY_KIND_EICAR, 0.5);
    const seconds = (performance.now() - started) / 1000;
    assert.equal(response.completed, false);
    assert.equal(response.disposition, Disposition.DISPOSITION_UNSPECIFIED);
    assert.deepEqual(response.outcomes, []);
    assert.ok(seconds >= 0.5, `returned after ${seconds} s`);
    assert.ok(seconds < 5, `returned after ${seconds} s`);
  });

  test('rejects a bad request', async () => {
    for (const [kind, deadline] of [
      [CanaryKind.CANARY_KIND_UNSPECIFIED, 5],
      [CanaryKind.CANARY_KIND_EICAR, 0],
      [CanaryKind.CANARY_KIND_GTUBE, 301],
    ] as const) {
      await assert.rejects(inject(interceptor, kind, deadline), (err: ServiceError) => {
        assert.equal(err.code, GrpcStatus.INVALID_ARGUMENT);
        assert.deepEqual(err.metadata.get('mailshield-error-code'), ['INTERCEPTOR_CANARY_INVALID']);
        return true;
      });
    }
  });

  test('rejects canaries over the cap', async () => {
    const calls = Array.from({ length: MAX_CANARIES_IN_FLIGHT + 1 }, () =>
      inject(interceptor, CanaryKind.CANARY_KIND_GTUBE, 1).then(
        () => 'waited',
        (err: ServiceError) => err,
      ),
    );
    const results = await Promise.all(calls);
    const rejected = results.filter((result): result is ServiceError => result !== 'waited');
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0]!.code, GrpcStatus.RESOURCE_EXHAUSTED);
    assert.deepEqual(rejected[0]!.metadata.get('mailshield-error-code'), [
      'INTERCEPTOR_CANARY_BUSY',
    ]);
  });

  test('SMTP mail claiming to be a canary is not one', async () => {
    const reply = await sendClaimingCanary(interceptor.smtpPort);
    const match = /^250 2\.0\.0 Ok: queued as (\S+)$/.exec(reply);
    assert.ok(match, reply);
    const record = topicRecords(interceptor.bus, Topics.inbound).find((r) => r.id === match[1]);
    assert.ok(record !== undefined);
    assert.notEqual(record.canary, true);
  });
});
