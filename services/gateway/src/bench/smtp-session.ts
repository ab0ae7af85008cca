import { performance } from 'node:perf_hooks';
import { dotStuff, SmtpTestClient } from '../test/harness/smtp-client.js';
import { RECIPIENT, SENDER } from '../test/harness/traffic.js';
import type { MixMessage } from './mix.js';

/** Measurements of one connection that carried one message. */
export interface SessionResult {
  testId: string;
  /** Final reply code: the reply to the end of data, or of the first command that failed. */
  code: number;
  text: string;
  /** Queue id from a `250 ... queued as <id>` reply, which is also the id of a Backup entry. */
  queueId: string | undefined;
  /** From connect until the reply to EHLO, which includes the server's greeting delay. */
  setupMs: number;
  /** From writing the final `.` until its reply, or undefined when DATA was not reached. */
  endOfDataMs: number | undefined;
  /** From connect until the reply to QUIT. */
  sessionMs: number;
  /** Wall-clock time (ms since the epoch) of the final reply. */
  repliedAt: number;
}

/**
 * Sends one message in a connection of its own: connect, EHLO, MAIL, RCPT, DATA, QUIT. A
 * connection that fails is reported with code 0 and the error as text.
 */
export async function sendInOwnConnection(
  port: number,
  message: MixMessage,
): Promise<SessionResult> {
  const started = performance.now();
  const result: SessionResult = {
    testId: message.testId,
    code: 0,
    text: '',
    queueId: undefined,
    setupMs: 0,
    endOfDataMs: undefined,
    sessionMs: 0,
    repliedAt: 0,
  };
  let client: SmtpTestClient | undefined;
  try {
    client = await SmtpTestClient.connect(port);
    result.setupMs = performance.now() - started;
    await sendTransaction(client, message.raw, result);
    // Code 0 means the server closed the connection, and a QUIT would wait for ever.
    if (result.code !== 0) await client.quit().catch(() => undefined);
  } catch (err) {
    result.code = 0;
    result.text = (err as Error).message;
    result.repliedAt = Date.now();
  }
  result.sessionMs = performance.now() - started;
  return result;
}

async function sendTransaction(
  client: SmtpTestClient,
  raw: Buffer,
  result: SessionResult,
): Promise<void> {
  for (const line of [`MAIL FROM:<${SENDER}>`, `RCPT TO:<${RECIPIENT}>`, 'DATA']) {
    const reply = await client.command(line);
    const expected = line === 'DATA' ? 354 : 250;
    if (reply.code !== expected) {
      Object.assign(result, { code: reply.code, text: reply.text, repliedAt: Date.now() });
      return;
    }
  }
  client.write(dotStuff(raw));
  const endOfData = performance.now();
  client.write('.\r\n');
  const reply = await client.read();
  result.endOfDataMs = performance.now() - endOfData;
  result.repliedAt = Date.now();
  result.code = reply.code;
  result.text = reply.text;
  result.queueId = /queued as (\S+)/.exec(reply.text)?.[1];
}
