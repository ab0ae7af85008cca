import type { Check, Finding, ParsedMessage } from '../types.js';
import { baseDomain, htmlToText, readAnchors, urlHost } from './html-text.js';

/** Body text beyond this many characters is not read by the body rules, to bound the cost. */
const MAX_BODY_CHARS = 512 * 1024;

export const BODY_SCORES = {
  HTML_ONLY: 1.5,
  MANY_URLS: 0.3,
  URL_TEXT_MISMATCH: 1.0,
  SPAM_PHRASE: 0.5,
  BODY_SHOUTING: 1.5,
} as const;

/** Distinct URLs at or above which MANY_URLS fires. */
const MANY_URLS_MIN = 25;
/** SPAM_PHRASE adds its score once per distinct phrase, up to this many phrases. */
const MAX_PHRASES_SCORED = 4;

const SPAM_PHRASES = [
  'click here',
  'click below',
  'to be removed',
  'remove me from',
  'act now',
  'limited time offer',
  'order now',
  'risk free',
  'risk-free',
  '100% free',
  '100% guaranteed',
  'no obligation',
  'this is not spam',
  'you have been selected',
  'dear friend',
  'make money',
  'earn extra cash',
  'special promotion',
  'once in a lifetime',
  // Bare "unsubscribe" and "winner" are missing on purpose: they were as frequent in ham as in
  // spam of the SpamAssassin public corpus. List mail is marked by the mass-mailing check.
  'opt out',
  'opt-out',
];

type BodyRule = keyof typeof BODY_SCORES;

function finding(name: BodyRule, detail: string, score: number = BODY_SCORES[name]): Finding {
  return { name, object: 'body', score, detail };
}

/** Visible text of the message: the text part, or the HTML part's text when there is none. */
function visibleText(message: ParsedMessage): string {
  const text =
    message.text.trim() !== '' ? message.text : htmlToText(message.html.slice(0, MAX_BODY_CHARS));
  return text.slice(0, MAX_BODY_CHARS);
}

function checkHtmlOnly(message: ParsedMessage): Finding[] {
  if (message.html.trim() === '' || message.text.trim() !== '') return [];
  return [finding('HTML_ONLY', 'the message has HTML but no text part')];
}

function checkUrlCount(message: ParsedMessage): Finding[] {
  const body = `${message.text.slice(0, MAX_BODY_CHARS)}\n${message.html.slice(0, MAX_BODY_CHARS)}`;
  const urls = new Set(
    Array.from(body.matchAll(/\bhttps?:\/\/[^\s<>"'()]+/gi), (match) => match[0].toLowerCase()),
  );
  if (urls.size < MANY_URLS_MIN) return [];
  return [finding('MANY_URLS', `${urls.size} distinct URLs`)];
}

/** Fires when a link's visible text shows a domain other than the one its href leads to. */
function checkUrlMismatch(message: ParsedMessage): Finding[] {
  for (const anchor of readAnchors(message.html.slice(0, MAX_BODY_CHARS))) {
    const shown = /^(?:https?:\/\/)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?:[/:?#]\S*)?$/i.exec(anchor.text);
    const target = urlHost(anchor.href);
    if (shown === null || target === undefined) continue;
    const shownDomain = baseDomain(shown[1]!.toLowerCase());
    if (shownDomain !== baseDomain(target)) {
      return [
        finding(
          'URL_TEXT_MISMATCH',
          `link text shows ${shownDomain} but leads to ${baseDomain(target)}`,
        ),
      ];
    }
  }
  return [];
}

function checkPhrases(text: string): Finding[] {
  const lower = text.toLowerCase();
  const found = SPAM_PHRASES.filter((phrase) => lower.includes(phrase));
  if (found.length === 0) return [];
  const score = Math.min(found.length, MAX_PHRASES_SCORED) * BODY_SCORES.SPAM_PHRASE;
  return [finding('SPAM_PHRASE', `phrases: ${found.join(', ')}`, Math.round(score * 10) / 10)];
}

function checkShouting(text: string): Finding[] {
  const letters = text.replace(/[^\p{L}]/gu, '');
  if (letters.length < 200) return [];
  const upper = letters.replace(/[^\p{Lu}]/gu, '').length;
  if (upper / letters.length < 0.5) return [];
  return [
    finding(
      'BODY_SHOUTING',
      `${Math.round((100 * upper) / letters.length)}% of the letters are upper case`,
    ),
  ];
}

/** Rules on the decoded body: HTML-only mail, link tricks, spam phrases, shouting. */
export const bodyRulesCheck: Check = {
  name: 'body',
  run(message) {
    const text = visibleText(message);
    return [
      ...checkHtmlOnly(message),
      ...checkUrlCount(message),
      ...checkUrlMismatch(message),
      ...checkPhrases(text),
      ...checkShouting(text),
    ];
  },
};
