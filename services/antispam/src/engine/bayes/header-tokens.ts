import { parseAddressList } from '../address.js';
import { baseDomain } from '../checks/html-text.js';
import { headerValue } from '../parse.js';
import type { ParsedMessage } from '../types.js';
import { addWordTokens } from './body-tokens.js';
import type { TokenSet } from './token-set.js';

/**
 * Standard fields whose mere presence is evidence: list and reply structure, mail clients and
 * priority marks. Fields that only one site's delivery path adds (Delivered-To, Delivery-Date,
 * X-Spam-*) are left out, because a model would learn that site's habits instead of the mail.
 */
const PRESENCE_FIELDS = [
  'cc',
  'content-transfer-encoding',
  'date',
  'disposition-notification-to',
  'errors-to',
  'importance',
  'in-reply-to',
  'list-id',
  'list-post',
  'list-unsubscribe',
  'message-id',
  'mime-version',
  'organization',
  'precedence',
  'references',
  'reply-to',
  'sender',
  'user-agent',
  'x-accept-language',
  'x-mailer',
  'x-mimeole',
  'x-msmail-priority',
  'x-originating-ip',
  'x-priority',
];

/** Received fields read, counted from the top, that is from the receiving end. */
const MAX_RECEIVED_FIELDS = 6;
/** Raw bytes scanned for the Content-Type and encoding of nested MIME parts. */
const MAX_RAW_SCAN_BYTES = 256 * 1024;
const MAX_VALUE_TOKEN_LENGTH = 40;

function valueToken(value: string): string {
  return value.trim().toLowerCase().replace(/\s+/g, ' ').slice(0, MAX_VALUE_TOKEN_LENGTH);
}

function countBucket(count: number): string {
  if (count <= 2) return String(count);
  if (count <= 5) return '3-5';
  if (count <= 20) return '6-20';
  return '21+';
}

function addAddressTokens(message: ParsedMessage, tokens: TokenSet): void {
  const from = headerValue(message, 'from');
  const fromDomains = new Set(message.from.map((mailbox) => mailbox.domain));
  for (const domain of fromDomains) {
    tokens.add(`from:domain:${domain}`);
    tokens.add(`from:base:${baseDomain(domain)}`);
  }
  if (from !== undefined) {
    const name = from.includes('<') ? from.slice(0, from.indexOf('<')) : '';
    if (name.trim() === '') tokens.add('from:no-name');
    else addWordTokens(name.replace(/"/g, ' '), 'from:name:', tokens);
  }
  const replyTo = headerValue(message, 'reply-to');
  for (const mailbox of replyTo === undefined ? [] : (parseAddressList(replyTo) ?? [])) {
    const same = fromDomains.has(mailbox.domain) ? 'same' : `other:${mailbox.domain}`;
    tokens.add(`reply-to:${same}`);
  }
  for (const field of ['to', 'cc']) {
    const value = headerValue(message, field);
    const count = value === undefined ? 0 : value.split('@').length - 1;
    tokens.add(`${field}:count:${countBucket(count)}`);
  }
}

const RECEIVED_IP = /\[(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.\d{1,3}\]/g;
const RECEIVED_HOST = /\b(?:from|by)\s+([a-z0-9-]+(?:\.[a-z0-9-]+)+)/gi;
const RECEIVED_WITH = /\bwith\s+([a-z0-9-]+)/i;

/** Tokens of the relays: network prefixes of their addresses, their domains and protocols. */
function addReceivedTokens(message: ParsedMessage, tokens: TokenSet): void {
  const received = message.headers.filter((header) => header.name === 'received');
  tokens.add(`received:count:${countBucket(received.length)}`);
  for (const header of received.slice(0, MAX_RECEIVED_FIELDS)) {
    for (const match of header.value.matchAll(RECEIVED_IP)) {
      tokens.add(`received:ip:${match[1]}.${match[2]}`);
      tokens.add(`received:ip:${match[1]}.${match[2]}.${match[3]}`);
    }
    for (const match of header.value.matchAll(RECEIVED_HOST)) {
      const host = match[1]!.toLowerCase();
      if (!/^[\d.]+$/.test(host)) tokens.add(`received:host:${baseDomain(host)}`);
    }
    const protocol = RECEIVED_WITH.exec(header.value)?.[1];
    if (protocol !== undefined) tokens.add(`received:with:${protocol.toLowerCase()}`);
  }
}

const PART_TYPE = /^content-type:\s*([a-z0-9.+-]+\/[a-z0-9.+-]+)/gim;
// `3d` is the quoted-printable form of `=`, as in an HTML meta tag's charset=3Diso-8859-1.
const PART_CHARSET = /charset\s*=\s*(?:3d)?["']?([a-z][a-z0-9._:-]*)/gi;
const PART_ENCODING = /^content-transfer-encoding:\s*([a-z0-9-]+)/gim;
const PART_FILE_EXTENSION = /\bfilename\s*=\s*"?[^"\r\n;]*\.([a-z0-9]{1,8})"?/gi;

/** Types, character sets, encodings and attachment extensions of every MIME part. */
function addMimeTokens(message: ParsedMessage, tokens: TokenSet): void {
  const raw = message.raw.toString('latin1', 0, Math.min(message.raw.length, MAX_RAW_SCAN_BYTES));
  for (const match of raw.matchAll(PART_TYPE)) tokens.add(`part:type:${match[1]!.toLowerCase()}`);
  for (const match of raw.matchAll(PART_CHARSET)) tokens.add(`charset:${match[1]!.toLowerCase()}`);
  for (const match of raw.matchAll(PART_ENCODING)) tokens.add(`cte:${match[1]!.toLowerCase()}`);
  for (const match of raw.matchAll(PART_FILE_EXTENSION))
    tokens.add(`filename:.${match[1]!.toLowerCase()}`);
  const type = headerValue(message, 'content-type');
  const mainType = type === undefined ? 'none' : valueToken(type.split(';')[0]!);
  tokens.add(`content-type:${mainType}`);
}

function addClientTokens(message: ParsedMessage, tokens: TokenSet): void {
  for (const field of ['x-mailer', 'user-agent', 'x-priority', 'x-msmail-priority', 'importance']) {
    const value = headerValue(message, field);
    if (value !== undefined) tokens.add(`${field}:${valueToken(value)}`);
  }
  const messageId = headerValue(message, 'message-id');
  const idDomain = messageId === undefined ? undefined : /@([^>\s]+)>?\s*$/.exec(messageId)?.[1];
  if (idDomain !== undefined) {
    const domain = idDomain.toLowerCase();
    tokens.add(`message-id:@${/^[\d.[\]]+$/.test(domain) ? 'ip' : baseDomain(domain)}`);
  } else if (messageId !== undefined) tokens.add('message-id:invalid');
}

/** Adds the header tokens of a message: Subject words, senders, relays, MIME structure. */
export function addHeaderTokens(message: ParsedMessage, tokens: TokenSet): void {
  const subject = message.subject ?? '';
  if (subject.trim() === '') tokens.add('subject:empty');
  else addWordTokens(subject, 'subject:', tokens);
  const names = new Set(message.headers.map((header) => header.name));
  for (const field of PRESENCE_FIELDS) if (names.has(field)) tokens.add(`header:${field}`);
  addAddressTokens(message, tokens);
  addClientTokens(message, tokens);
  addMimeTokens(message, tokens);
  addReceivedTokens(message, tokens);
}
