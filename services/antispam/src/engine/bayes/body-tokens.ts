import { baseDomain } from '../checks/html-text.js';
import type { TokenSet } from './token-set.js';

/** Words shorter than this carry almost no evidence and are skipped. */
const MIN_WORD_LENGTH = 3;
/**
 * Longer words are mostly encoded data, run-together HTML or random strings that never come
 * again, so they become one `skip:` token per first character and length bucket instead.
 */
const MAX_WORD_LENGTH = 12;

const URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"'()[\]{}]+/gi;
/** Quotes, brackets and sentence punctuation around a word; `!`, `$` and `%` stay as evidence. */
const EDGE_PUNCTUATION = /^["'`([{<*,.:;]+|["'`)\]}>*,.:;?]+$/g;
const IPV4_HOST = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** Tokens of one URL: its host, each parent domain down to the registrable one, and oddities. */
function addUrl(url: string, tokens: TokenSet): void {
  const withScheme = /^www\./i.test(url) ? `http://${url}` : url;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    tokens.add('url:invalid');
    return;
  }
  const host = parsed.hostname.toLowerCase().replace(/\.$/, '');
  if (IPV4_HOST.test(host)) {
    tokens.add('url:ip');
    return;
  }
  if (parsed.port !== '') tokens.add('url:port');
  if (parsed.username !== '') tokens.add('url:userinfo');
  const base = baseDomain(host);
  tokens.add(`url:${host}`);
  let rest = host;
  while (rest.length > base.length) {
    rest = rest.slice(rest.indexOf('.') + 1);
    tokens.add(`url:${rest}`);
  }
}

/** Adds the URL tokens of `text` and returns the text with the URLs cut out. */
export function addUrlTokens(text: string, tokens: TokenSet): string {
  return text.replace(URL_PATTERN, (url) => {
    addUrl(url.replace(/[.,;:!?]+$/, ''), tokens);
    return ' ';
  });
}

/** Adds the URL tokens found anywhere in an HTML source, href attributes included. */
export function addHtmlUrlTokens(html: string, tokens: TokenSet): void {
  for (const match of html.matchAll(URL_PATTERN)) {
    if (tokens.isFull) return;
    addUrl(match[0].replace(/[.,;:!?]+$/, ''), tokens);
  }
}

/** Tokens for a long word: an e-mail address gives its domain, anything else a length class. */
function addLongWord(word: string, prefix: string, tokens: TokenSet): void {
  const at = word.indexOf('@');
  if (at > 0 && word.indexOf('.', at) > at) {
    tokens.add(`${prefix}email:${word.slice(at + 1)}`);
    return;
  }
  tokens.add(`${prefix}skip:${word[0]} ${Math.floor(word.length / 10) * 10}`);
}

/**
 * Adds one token per distinct lower-cased word of `text`, each prefixed with `prefix` (such as
 * `subject:`), so the same word in a header and in the body are separate evidence.
 */
export function addWordTokens(text: string, prefix: string, tokens: TokenSet): void {
  for (const piece of text.toLowerCase().split(/\s+/)) {
    if (tokens.isFull) return;
    const word = piece.replace(EDGE_PUNCTUATION, '');
    if (word.length < MIN_WORD_LENGTH) continue;
    if (word.length <= MAX_WORD_LENGTH) tokens.add(prefix + word);
    else addLongWord(word, prefix, tokens);
  }
}

/** Adds a token for the share of non-ASCII characters, in steps of 10%, when there are any. */
export function addEightBitToken(text: string, tokens: TokenSet): void {
  if (text.length === 0) return;
  let high = 0;
  for (let i = 0; i < text.length; i += 1) if (text.charCodeAt(i) > 0x7f) high += 1;
  if (high === 0) return;
  tokens.add(`8bit%:${Math.round((10 * high) / text.length) * 10}`);
}
