import { randomBytes, randomInt } from 'node:crypto';
import { buildMessage, EICAR } from '../test/harness/messages.js';
import { RECIPIENT, SENDER } from '../test/harness/traffic.js';

/** The three kinds of mail in the benchmark mix. */
export type MixKind = 'text' | 'attachment' | 'eicar';

export interface MixMessage {
  /** Value of the X-Test-Id header, which finds the message again at the next hop. */
  testId: string;
  kind: MixKind;
  raw: Buffer;
}

/** Body length of a text mail, which makes a mail of about 5 KB with the headers. */
const TEXT_BODY_BYTES = 4_800;
/** Random bytes attached, which make a mail of about 100 KB once base64-encoded. */
const ATTACHMENT_BYTES = 72_000;

const WORDS = (
  'the a of to and in for on with from this that we will please find attached report meeting ' +
  'team project update invoice order shipment customer account review schedule next week ' +
  'monday friday quarter budget draft version notes call agenda thanks regards best question ' +
  'answer detail change request approval contract delivery price offer sample test result'
).split(' ');

/**
 * Returns the kind of the message at `index`. One in a hundred is EICAR, and the others
 * alternate between text and attachment, so messages 0 to 99 are 50 text, 49 attachment and
 * 1 EICAR.
 */
export function kindAt(index: number): MixKind {
  if (index % 100 === 99) return 'eicar';
  return index % 2 === 0 ? 'text' : 'attachment';
}

/**
 * Builds `count` messages up front, so the load generator spends no CPU on them while it
 * measures. Text and attachment bytes are random, because clamd caches clean results by hash
 * and repeated content would be scanned once.
 */
export function buildMix(count: number, prefix: string): MixMessage[] {
  return Array.from({ length: count }, (_, index) => {
    const kind = kindAt(index);
    const testId = `${prefix}-${index}-${kind}`;
    return { testId, kind, raw: buildMixMessage(kind, testId) };
  });
}

function buildMixMessage(kind: MixKind, testId: string): Buffer {
  const envelope = { from: SENDER, to: RECIPIENT, subject: `bench ${testId}`, testId };
  if (kind === 'text') return buildMessage({ ...envelope, text: randomText(TEXT_BODY_BYTES) });
  const content = kind === 'eicar' ? EICAR : randomBytes(ATTACHMENT_BYTES);
  const name = kind === 'eicar' ? 'eicar.com' : `data-${testId}.bin`;
  return buildMessage({ ...envelope, text: randomText(400), attachments: [{ name, content }] });
}

/** Builds random words in CRLF lines of about 75 characters, about `bytes` long in total. */
function randomText(bytes: number): string {
  const lines: string[] = [];
  let length = 0;
  while (length < bytes) {
    let line = '';
    while (line.length < 70) line += `${WORDS[randomInt(WORDS.length)]} `;
    line = line.trimEnd();
    lines.push(line);
    length += line.length + 2;
  }
  // buildMessage inserts the text of a multipart mail as it is, so the line ends must be CRLF.
  return lines.join('\r\n');
}

/** Counts the messages of each kind and averages their size, for the report. */
export function describeMix(
  messages: MixMessage[],
): Record<MixKind, { count: number; meanBytes: number }> {
  const summary = {
    text: { count: 0, meanBytes: 0 },
    attachment: { count: 0, meanBytes: 0 },
    eicar: { count: 0, meanBytes: 0 },
  };
  for (const message of messages) {
    const entry = summary[message.kind];
    entry.meanBytes += (message.raw.length - entry.meanBytes) / (entry.count + 1);
    entry.count += 1;
  }
  for (const entry of Object.values(summary)) entry.meanBytes = Math.round(entry.meanBytes);
  return summary;
}
