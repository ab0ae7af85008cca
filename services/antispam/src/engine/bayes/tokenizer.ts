import { htmlToText } from '../checks/html-text.js';
import type { ParsedMessage } from '../types.js';
import { addEightBitToken, addHtmlUrlTokens, addUrlTokens, addWordTokens } from './body-tokens.js';
import { addHeaderTokens } from './header-tokens.js';
import { TokenSet } from './token-set.js';

/**
 * Version of the token scheme. Counts learned under one version mean little under another, so
 * a snapshot records it and a model rejects a snapshot of another version.
 */
export const TOKENIZER_VERSION = 1;

/** Distinct tokens kept per message; ordinary mail has a few hundred. */
export const MAX_TOKENS_PER_MESSAGE = 3000;
/** Characters read from the decoded text part and from the HTML part each. */
const MAX_BODY_CHARS = 256 * 1024;

function addBodyTokens(message: ParsedMessage, tokens: TokenSet): void {
  const text = message.text.slice(0, MAX_BODY_CHARS);
  const html = message.html.slice(0, MAX_BODY_CHARS);
  if (text.trim() === '') tokens.add(html.trim() === '' ? 'body:empty' : 'body:html-only');
  addEightBitToken(text === '' ? html : text, tokens);
  addWordTokens(addUrlTokens(text, tokens), '', tokens);
  if (html === '') return;
  addHtmlUrlTokens(html, tokens);
  // HTML element names are not tokens, because in cross-validation they made subscribed HTML
  // newsletters look like spam and cost more false positives than they caught spam.
  addWordTokens(addUrlTokens(htmlToText(html), tokens), '', tokens);
}

/**
 * Splits a parsed message into its distinct tokens: header evidence first (prefixed with the
 * field, such as `subject:` or `received:ip:`), then URL hosts, then the words of the text and
 * of the HTML's visible text. At most MAX_TOKENS_PER_MESSAGE tokens are returned.
 */
export function tokenize(message: ParsedMessage, maxTokens = MAX_TOKENS_PER_MESSAGE): string[] {
  const tokens = new TokenSet(maxTokens);
  addHeaderTokens(message, tokens);
  addBodyTokens(message, tokens);
  return [...tokens.tokens];
}
