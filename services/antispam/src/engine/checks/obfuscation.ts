import type { Check, Finding, ParsedMessage } from '../types.js';
import { htmlToText } from './html-text.js';

/** Text beyond this many characters is not read, to bound the cost. */
const MAX_TEXT_CHARS = 256 * 1024;

export const OBFUSCATION_SCORES = {
  SPACED_LETTERS: 0.5,
  INVISIBLE_CHARACTERS: 1.0,
  MIXED_SCRIPT_WORDS: 2.0,
  UTF7_CHARSET: 2.0,
  ENCODED_ASCII_SUBJECT: 0.5,
} as const;

type ObfuscationRule = keyof typeof OBFUSCATION_SCORES;

function finding(name: ObfuscationRule, object: string, detail: string): Finding {
  return { name, object, score: OBFUSCATION_SCORES[name], detail };
}

/**
 * Single letters split by one space, dot or asterisk that spell a word of five or more
 * letters, such as "V I A G R A" or "f.r.e.e.b.i.e", which hide words from word filters.
 * Acronyms such as "U.S.A." are shorter, and command-line flags ("-w -u") have dashes.
 */
const SPACED_LETTERS = /(?:^|[^\p{L}-])(\p{L}(?:[ .*]\p{L}){4,})(?=$|[^\p{L}])/u;

/** Zero-width and other invisible characters that split words without showing. */
const INVISIBLE = /[\u00ad\u200b-\u200d\u2060\ufeff]/g;
const INVISIBLE_MIN = 3;

/** Words that mix Latin letters with Cyrillic or Greek look-alikes, such as "pаypal". */
const MIXED_SCRIPT_WORD =
  /(?=\p{L}*\p{Script=Latin})(?=\p{L}*[\p{Script=Cyrillic}\p{Script=Greek}])\p{L}{3,}/gu;
const MIXED_SCRIPT_MIN = 2;

function visibleText(message: ParsedMessage): string {
  const html = htmlToText(message.html.slice(0, MAX_TEXT_CHARS));
  return `${message.subject ?? ''}\n${message.text.slice(0, MAX_TEXT_CHARS)}\n${html}`;
}

function checkText(text: string): Finding[] {
  const findings: Finding[] = [];
  const spaced = SPACED_LETTERS.exec(text);
  if (spaced !== null) {
    findings.push(finding('SPACED_LETTERS', 'body', `letters spelled apart: "${spaced[1]}"`));
  }
  const invisible = text.match(INVISIBLE)?.length ?? 0;
  if (invisible >= INVISIBLE_MIN) {
    findings.push(finding('INVISIBLE_CHARACTERS', 'body', `${invisible} invisible characters`));
  }
  const mixed = new Set(text.match(MIXED_SCRIPT_WORD) ?? []);
  if (mixed.size >= MIXED_SCRIPT_MIN) {
    const sample = [...mixed].slice(0, 3).join(', ');
    findings.push(
      finding('MIXED_SCRIPT_WORDS', 'body', `${mixed.size} words mix scripts, such as ${sample}`),
    );
  }
  return findings;
}

function checkEncodings(message: ParsedMessage): Finding[] {
  const findings: Finding[] = [];
  // UTF-7 lets "+ADw-script+AD4-" pass filters that look for "<script>"; no current mailer sends it.
  const contentTypes = message.headers.filter((field) => field.name === 'content-type');
  const head = message.raw.subarray(0, 64 * 1024).toString('latin1');
  if (
    contentTypes.some((field) => /charset\s*=\s*"?utf-7/i.test(field.value)) ||
    /content-type:[^\n]*charset\s*=\s*"?utf-7/i.test(head)
  ) {
    findings.push(finding('UTF7_CHARSET', 'message', 'a part declares the UTF-7 charset'));
  }
  const subject = message.headers.find((field) => field.name === 'subject')?.value ?? '';
  const decoded = message.subject ?? '';
  // An encoded-word that decodes to plain ASCII hides the words from filters reading raw headers.
  if (/=\?[^?]+\?[bq]\?/i.test(subject) && /^[\x20-\x7e]*$/.test(decoded) && decoded !== '') {
    findings.push(
      finding('ENCODED_ASCII_SUBJECT', 'header:Subject', 'plain ASCII subject written encoded'),
    );
  }
  return findings;
}

/** Text hidden from word filters: letters spelled apart, invisible characters, look-alike scripts, and encodings used to disguise plain text. */
export const obfuscationCheck: Check = {
  name: 'obfuscation',
  run(message) {
    return [...checkText(visibleText(message)), ...checkEncodings(message)];
  },
};
