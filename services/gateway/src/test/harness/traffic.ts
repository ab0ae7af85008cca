import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { corpusFiles, readCorpusMessage } from './corpus.js';
import { buildMessage, eicarVariants, GTUBE } from './messages.js';
import { SmtpTestClient, type SmtpReply } from './smtp-client.js';

/** What a test message is expected to be. */
export type Expectation = 'clean' | 'infected' | 'spam' | 'corpus-spam';

export interface TestMessage {
  testId: string;
  expectation: Expectation;
  raw: Buffer;
  to: string;
}

export interface SentMessage extends TestMessage {
  reply: SmtpReply;
  queueId: string | undefined;
}

export const SENDER = 'sender@example.org';
export const RECIPIENT = 'user@example.com';
const TESTFILES_DIR = '/usr/share/clamav-testfiles';

/**
 * Tag of this test run in every test id, so a message left in Kafka by an earlier, aborted run
 * cannot pass for one of this run at the sink.
 */
export const RUN_ID = randomBytes(4).toString('hex');

/** Prepends the `X-Test-Id` header that lets a test find a message at the sink. */
export function withTestId(raw: Buffer, testId: string): Buffer {
  return Buffer.concat([Buffer.from(`X-Test-Id: ${testId}\r\n`), raw]);
}

/** Real ham and spam from the corpus, each with a test id that starts with `prefix`. */
export async function corpusMessages(
  ham: number,
  spam: number,
  prefix = 'main',
): Promise<TestMessage[]> {
  const messages: TestMessage[] = [];
  for (const [kind, count] of [
    ['ham', ham],
    ['spam', spam],
  ] as const) {
    for (const file of await corpusFiles(kind, count)) {
      const testId = `${prefix}-${RUN_ID}-${kind}-${basename(file)}`;
      messages.push({
        testId,
        expectation: kind === 'ham' ? 'clean' : 'corpus-spam',
        raw: withTestId(await readCorpusMessage(file), testId),
        to: RECIPIENT,
      });
    }
  }
  return messages;
}

/** EICAR in several forms, each of Debian's clamav-testfiles attached, and GTUBE. */
export async function malwareAndSpamMessages(): Promise<TestMessage[]> {
  const messages: TestMessage[] = eicarVariants().map((variant) => ({
    testId: `${variant.name}-${RUN_ID}`,
    expectation: 'infected',
    to: RECIPIENT,
    raw: buildMessage({
      from: SENDER,
      to: RECIPIENT,
      subject: variant.name,
      text: variant.text,
      attachments: variant.attachments,
      testId: `${variant.name}-${RUN_ID}`,
    }),
  }));
  const names = (await readdir(TESTFILES_DIR)).sort();
  for (const name of names) {
    const testId = `testfile-${RUN_ID}-${name}`;
    messages.push({
      testId,
      expectation: 'infected',
      to: RECIPIENT,
      raw: buildMessage({
        from: SENDER,
        to: RECIPIENT,
        subject: `test file ${name}`,
        text: 'a file from clamav-testfiles',
        attachments: [{ name, content: await readFile(join(TESTFILES_DIR, name)) }],
        testId,
      }),
    });
  }
  messages.push({
    testId: `gtube-${RUN_ID}`,
    expectation: 'spam',
    to: RECIPIENT,
    raw: buildMessage({
      from: SENDER,
      to: RECIPIENT,
      subject: 'gtube',
      text: `Hello\r\n${GTUBE}\r\n`,
      testId: `gtube-${RUN_ID}`,
    }),
  });
  return messages;
}

/**
 * Sends the messages over `sessions` parallel SMTP connections, each sending its share in
 * turn. A session that fails (refused connection, dropped socket) reconnects for the next
 * message; the failed message is reported with code 0.
 */
export async function sendAll(
  port: number,
  messages: TestMessage[],
  sessions = 8,
): Promise<SentMessage[]> {
  const results: SentMessage[] = [];
  let next = 0;
  const worker = async () => {
    let client: SmtpTestClient | undefined;
    while (next < messages.length) {
      const message = messages[next++]!;
      try {
        client ??= await SmtpTestClient.connect(port);
        const { reply, queueId } = await client.send(SENDER, [message.to], message.raw);
        results.push({ ...message, reply, queueId });
        if (reply.code === 0 || reply.code === 421) client = undefined;
      } catch (err) {
        results.push({
          ...message,
          reply: { code: 0, text: (err as Error).message },
          queueId: undefined,
        });
        client = undefined;
      }
    }
    await client?.quit().catch(() => undefined);
  };
  await Promise.all(Array.from({ length: sessions }, worker));
  return results;
}
