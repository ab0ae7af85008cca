import PostalMime from 'postal-mime';
import { parseAddressList } from './address.js';
import type { ParsedMessage } from './types.js';

/** Raised when a message cannot be read well enough for any rule to run. */
export class MessageParseError extends Error {
  override readonly name = 'MessageParseError';
}

/** Parser limits: deeper or larger structures are rejected instead of parsed slowly. */
const PARSE_LIMITS = {
  maxNestingDepth: 64,
  maxPartCount: 2000,
  attachmentEncoding: 'arraybuffer',
} as const;

/**
 * Parses a raw RFC 5322 message for the checks. Throws MessageParseError when the MIME
 * parser gives up or the message has no header fields at all.
 */
export async function parseMessage(raw: Buffer): Promise<ParsedMessage> {
  let email;
  try {
    email = await PostalMime.parse(raw, PARSE_LIMITS);
  } catch (err) {
    throw new MessageParseError(`MIME parsing failed: ${(err as Error).message}`, { cause: err });
  }
  if (email.headers.length === 0) throw new MessageParseError('the message has no header fields');
  const headers = email.headers.map((header) => ({ name: header.key, value: header.value }));
  const fromValue = headers.find((header) => header.name === 'from')?.value;
  return {
    raw,
    headers,
    text: email.text ?? '',
    html: email.html ?? '',
    subject: email.subject,
    from: fromValue === undefined ? [] : (parseAddressList(fromValue) ?? []),
    attachmentCount: email.attachments.length,
  };
}

/** Value of the first header field named `name` (lower case), or undefined. */
export function headerValue(message: ParsedMessage, name: string): string | undefined {
  return message.headers.find((header) => header.name === name)?.value;
}
