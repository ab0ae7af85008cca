import { decodeCharset } from './charset.js';
import { decodeQuotedPrintable } from './transfer-encoding.js';

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=/g;

/**
 * Decodes RFC 2047 encoded-words in a header value. Whitespace between two adjacent
 * encoded-words is dropped (RFC 2047 section 6.2), which also joins a file name split
 * across several words. Words are accepted inside quoted strings too, as mail clients do,
 * although RFC 2047 section 5 forbids them there.
 */
export function decodeEncodedWords(value: string): string {
  if (!value.includes('=?')) return value;
  const joined = value.replace(/(\?=)\s+(?==\?)/g, '$1');
  return joined.replace(ENCODED_WORD, (word, charset: string, encoding: string, text: string) => {
    const bytes = decodeWordBytes(encoding.toLowerCase(), text);
    if (bytes === undefined) return word;
    // RFC 2231 section 5 allows a language suffix: charset*language.
    return decodeCharset(bytes, charset.split('*')[0]!);
  });
}

function decodeWordBytes(encoding: string, text: string): Buffer | undefined {
  if (encoding === 'b') return Buffer.from(text.replace(/[^A-Za-z0-9+/]/g, ''), 'base64');
  if (encoding === 'q')
    return decodeQuotedPrintable(Buffer.from(text.replace(/_/g, ' '), 'latin1'));
  return undefined;
}
