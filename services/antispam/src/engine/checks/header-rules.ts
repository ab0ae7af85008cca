import { parseAddressList } from '../address.js';
import { headerValue } from '../parse.js';
import type { Check, CheckContext, Finding, ParsedMessage } from '../types.js';

/** X-Mailer values of bulk-mail and spam tools; ordinary clients are not listed. */
const BULK_MAILERS = [
  /\bgammadyne\b/i,
  /\bmass ?mail(er)?\b/i,
  /\bbulk ?mail(er)?\b/i,
  /\bgroup ?mail\b/i,
  /\bworldmerge\b/i,
  /\bsendblaster\b/i,
  /\bdark ?mailer\b/i,
  /\bsuper ?mailer\b/i,
  /\bemail ?blaster\b/i,
  /\bdiamond ?mailer\b/i,
  /\batomic ?mail ?sender\b/i,
  /\bmailking\b/i,
  /\bmultimailer\b/i,
];

/** How far the Date may lie after the time of receipt before it counts as forged. */
const FUTURE_DATE_TOLERANCE_MS = 24 * 60 * 60 * 1000;

export const HEADER_SCORES = {
  MISSING_DATE: 1.0,
  MISSING_MESSAGE_ID: 1.0,
  MISSING_FROM: 1.5,
  FROM_INVALID: 1.5,
  REPLY_TO_DOMAIN_DIFFERS: 0.5,
  SUBJECT_UPPERCASE: 1.0,
  SUBJECT_PUNCTUATION: 1.0,
  BULK_MAILER: 1.5,
  DATE_IN_FUTURE: 1.5,
} as const;

type HeaderRule = keyof typeof HEADER_SCORES;

function finding(name: HeaderRule, object: string, detail: string): Finding {
  return { name, object, score: HEADER_SCORES[name], detail };
}

function checkPresence(message: ParsedMessage): Finding[] {
  const findings: Finding[] = [];
  if (headerValue(message, 'date') === undefined)
    findings.push(finding('MISSING_DATE', 'header:Date', 'no Date header'));
  if (headerValue(message, 'message-id') === undefined) {
    findings.push(finding('MISSING_MESSAGE_ID', 'header:Message-ID', 'no Message-ID header'));
  }
  const from = headerValue(message, 'from');
  if (from === undefined) findings.push(finding('MISSING_FROM', 'header:From', 'no From header'));
  else if (message.from.length === 0)
    findings.push(finding('FROM_INVALID', 'header:From', 'From has no valid mailbox'));
  return findings;
}

function checkReplyTo(message: ParsedMessage): Finding[] {
  const replyTo = headerValue(message, 'reply-to');
  if (replyTo === undefined || message.from.length === 0) return [];
  // Discussion lists point Reply-To at the list address on purpose (RFC 2369 List-* fields).
  if (
    headerValue(message, 'list-id') !== undefined ||
    headerValue(message, 'list-post') !== undefined
  )
    return [];
  const replyDomains = (parseAddressList(replyTo) ?? []).map((mailbox) => mailbox.domain);
  const fromDomains = new Set(message.from.map((mailbox) => mailbox.domain));
  const other = replyDomains.find((domain) => !fromDomains.has(domain));
  if (other === undefined) return [];
  return [
    finding(
      'REPLY_TO_DOMAIN_DIFFERS',
      'header:Reply-To',
      `Reply-To domain ${other} is not a From domain`,
    ),
  ];
}

function checkSubject(message: ParsedMessage): Finding[] {
  const subject = message.subject ?? '';
  const findings: Finding[] = [];
  const letters = subject.replace(/[^\p{L}]/gu, '');
  const upper = letters.replace(/[^\p{Lu}]/gu, '');
  if (letters.length >= 10 && upper.length / letters.length >= 0.7) {
    findings.push(finding('SUBJECT_UPPERCASE', 'header:Subject', 'Subject is mostly upper case'));
  }
  const exclamations = subject.split('!').length - 1;
  const dollars = subject.split('$').length - 1;
  if (exclamations >= 3 || dollars >= 2) {
    findings.push(
      finding(
        'SUBJECT_PUNCTUATION',
        'header:Subject',
        `Subject has ${exclamations} '!' and ${dollars} '$'`,
      ),
    );
  }
  return findings;
}

function checkMailer(message: ParsedMessage): Finding[] {
  const mailer = headerValue(message, 'x-mailer');
  if (mailer === undefined || !BULK_MAILERS.some((pattern) => pattern.test(mailer))) return [];
  return [finding('BULK_MAILER', 'header:X-Mailer', 'X-Mailer names a bulk-mail tool')];
}

function checkDate(message: ParsedMessage, context: CheckContext): Finding[] {
  const date = headerValue(message, 'date');
  if (date === undefined) return [];
  const time = Date.parse(date);
  if (Number.isNaN(time) || time - context.now.getTime() <= FUTURE_DATE_TOLERANCE_MS) return [];
  return [finding('DATE_IN_FUTURE', 'header:Date', 'Date is more than a day after receipt')];
}

/** Rules on the header fields that ordinary mail clients always set correctly. */
export const headerRulesCheck: Check = {
  name: 'headers',
  run(message, context) {
    return [
      ...checkPresence(message),
      ...checkReplyTo(message),
      ...checkSubject(message),
      ...checkMailer(message),
      ...checkDate(message, context),
    ];
  },
};
