import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeRecord, encodeRecord, Topics, type ConsumedRecord } from '@mailshield/common';
import { Disposition, QueueMode, RecordKind, type MessageRecord } from '@mailshield/proto/message';
import {
  startTestInterceptor,
  topicRecords,
  waitFor,
  type TestInterceptor,
} from '../support/harness.js';
import { SmtpTalk } from '../support/smtp-talk.js';

/** Stands in for the scanners. It publishes, for each inbound message, the verdict that `decide` returns. */
async function startFakePipeline(
  interceptor: TestInterceptor,
  decide: (record: MessageRecord) => Partial<MessageRecord> | undefined,
): Promise<{ stop(): Promise<void> }> {
  return interceptor.bus.subscribe({
    topic: Topics.inbound,
    groupId: 'fake-pipeline',
    fromLatest: true,
    handleBatch: async (records: ConsumedRecord[]) => {
      for (const consumed of records) {
        const record = decodeRecord(consumed);
        const change = decide(record);
        if (change !== undefined) {
          await interceptor.bus.publish(Topics.verdicts, [encodeRecord({ ...record, ...change })]);
        }
      }
    },
  });
}

async function sendMessage(port: number, subject: string): Promise<string> {
  const talk = await SmtpTalk.open(port);
  await talk.reply();
  await talk.command('EHLO client.example.org');
  await talk.command('MAIL FROM:<sender@example.org>');
  await talk.command('RCPT TO:<b@example.com>');
  await talk.command('DATA');
  talk.write(`Subject: ${subject}\r\n\r\nbody\r\n.\r\n`);
  const reply = await talk.reply();
  talk.close();
  return reply;
}

describe('before-queue mode', () => {
  let interceptor: TestInterceptor;
  let pipeline: { stop(): Promise<void> };
  before(async () => {
    interceptor = await startTestInterceptor({
      policy: { queueMode: QueueMode.QUEUE_MODE_BEFORE_QUEUE, beforeQueueTimeoutSeconds: 1 },
    });
    pipeline = await startFakePipeline(interceptor, (record) => {
      const subject = record.raw.toString('latin1');
      if (subject.includes('Subject: virus')) {
        return {
          disposition: Disposition.DISPOSITION_REJECT,
          reply: '550 5.7.1 Message rejected: virus found',
        };
      }
      if (subject.includes('Subject: clean'))
        return { disposition: Disposition.DISPOSITION_DELIVER };
      if (subject.includes('Subject: unscanned'))
        return { disposition: Disposition.DISPOSITION_TEMPFAIL, reply: '' };
      return undefined;
    });
  });
  after(async () => {
    await pipeline.stop();
    await interceptor.cleanup();
  });

  test('REJECT verdict gets the stage reply', async () => {
    assert.equal(
      await sendMessage(interceptor.smtpPort, 'virus'),
      '550 5.7.1 Message rejected: virus found',
    );
  });

  test('TEMPFAIL verdict gets 451 4.7.0', async () => {
    assert.match(await sendMessage(interceptor.smtpPort, 'unscanned'), /^451 4\.7\.0 /);
  });

  test('no verdict in time gets 451 and no acceptance', async () => {
    const reply = await sendMessage(interceptor.smtpPort, 'silence');
    assert.match(reply, /^451 4\.7\.0 /);
    const accepted = topicRecords(interceptor.bus, Topics.verdicts).filter(
      (record) => record.kind === RecordKind.RECORD_KIND_SESSION_ACCEPTED,
    );
    assert.equal(accepted.length, 0);
  });

  test('DELIVER verdict gets 250 after SESSION_ACCEPTED', async () => {
    const reply = await sendMessage(interceptor.smtpPort, 'clean');
    const match = /^250 2\.0\.0 Ok: queued as (\S+)$/.exec(reply);
    assert.ok(match, reply);
    const accepted = topicRecords(interceptor.bus, Topics.verdicts).filter(
      (record) => record.kind === RecordKind.RECORD_KIND_SESSION_ACCEPTED,
    );
    assert.equal(accepted.length, 1);
    assert.equal(accepted[0]!.id, match[1]);
    assert.equal(accepted[0]!.disposition, Disposition.DISPOSITION_DELIVER);
  });

  test('only the accepted message is delivered', async () => {
    await waitFor(
      () =>
        interceptor.bus.committedOffset('mailshield-delivery', Topics.verdicts) ===
        interceptor.bus.records(Topics.verdicts).length,
      'the delivery consumer to catch up',
    );
    const { readdir } = await import('node:fs/promises');
    const files = await readdir(interceptor.options.deliveryDir);
    const accepted = topicRecords(interceptor.bus, Topics.verdicts).find(
      (record) => record.kind === RecordKind.RECORD_KIND_SESSION_ACCEPTED,
    );
    assert.deepEqual(files, [`${accepted!.id}.eml`]);
  });
});
