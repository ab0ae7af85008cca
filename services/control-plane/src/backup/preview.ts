import { isUtf8 } from 'node:buffer';
import { decodeHtmlEntities, readHeaders } from '@mailshield/common';
import type { AttachmentInfo, HeaderField } from '@mailshield/proto/backup';
import PostalMime, { decodeWords, type Email } from 'postal-mime';

/** The parts of a message that `Backup.Show` returns besides its summary and outcomes. */
export interface MessagePreview {
  headers: HeaderField[];
  preview: string;
  previewTruncated: boolean;
  /** "text/plain", "text/html", or "" when the message has no text. */
  previewSource: string;
  attachments: AttachmentInfo[];
  problems: string[];
}

/** Maximum length of the preview text, in UTF-16 units. */
export const maxPreviewChars = 4000;
/** Maximum number of header fields shown. A message with more gets a problem line. */
export const maxHeaderFields = 100;
/** Maximum length of one header value (the line limit of RFC 5322, section 2.1.1). */
export const maxHeaderValueChars = 998;
/** Maximum HTML length that is reduced, so a huge HTML part costs bounded work. */
const maxHtmlChars = 1 << 20;
const maxAttachments = 200;

/** Parser limits, as the antispam uses them: deeper or larger structures fail instead. */
const parseLimits = {
  maxNestingDepth: 64,
  maxPartCount: 2000,
  attachmentEncoding: 'arraybuffer',
} as const;

/**
 * Builds a view of `raw` that contains no active content: header values decoded and
 * sanitized, a plain-text preview, and the attachments by name, type and size. A message the
 * MIME parser rejects still gets its headers, with the reason in `problems`.
 */
export async function buildPreview(raw: Uint8Array): Promise<MessagePreview> {
  const bytes = Buffer.from(raw);
  const problems: string[] = [];
  const headers = previewHeaders(bytes, problems);
  let email: Email;
  try {
    email = await PostalMime.parse(bytes, parseLimits);
  } catch (err) {
    problems.push(`the MIME structure cannot be parsed: ${sanitizeLine((err as Error).message)}`);
    return {
      headers,
      preview: '',
      previewTruncated: false,
      previewSource: '',
      attachments: [],
      problems,
    };
  }
  const { text, source } = chooseText(email, bytes);
  const preview = capText(neutralizeMarkup(text), maxPreviewChars);
  return {
    headers,
    preview: preview.text,
    previewTruncated: preview.isTruncated,
    previewSource: source,
    attachments: listAttachments(email, problems),
    problems,
  };
}

function previewHeaders(raw: Buffer, problems: string[]): HeaderField[] {
  const fields = readHeaders(raw);
  if (fields.length > maxHeaderFields)
    problems.push(
      `the message has ${fields.length} header fields; the first ${maxHeaderFields} are shown`,
    );
  return fields.slice(0, maxHeaderFields).map(([name, value]) => ({
    name: sanitizeLine(name).slice(0, 76),
    value: capText(sanitizeLine(decodeHeaderValue(value)), maxHeaderValueChars).text,
  }));
}

/**
 * Replaces each "<" that would open a tag with "‹" (U+2039). Text and decoded entities may
 * spell markup such as `&lt;script&gt;`, and the preview must stay inert even in a client that
 * forgets to escape it.
 */
export function neutralizeMarkup(text: string): string {
  return text.replace(/<(?=[a-zA-Z/!?])/g, '\u2039');
}

/** Decodes RFC 2047 encoded words, and raw UTF-8 bytes as sent with SMTPUTF8. */
export function decodeHeaderValue(latin1: string): string {
  const bytes = Buffer.from(latin1, 'latin1');
  const text = isUtf8(bytes) ? bytes.toString('utf8') : latin1;
  try {
    return decodeWords(text);
  } catch {
    return text;
  }
}

/**
 * Picks the text/plain part when the message has one, and otherwise reduces the HTML part.
 * postal-mime fills `text` from the HTML when there is no text/plain part, so a text/plain part
 * is looked for in the raw headers instead. A message without Content-Type is text/plain
 * (RFC 2045, section 5.2).
 */
function chooseText(email: Email, raw: Buffer): { text: string; source: string } {
  const hasPlainPart =
    /^content-type:[ \t]*text\/plain/im.test(raw.toString('latin1')) ||
    !readHeaders(raw).some(([name]) => name.toLowerCase() === 'content-type');
  if (email.text !== undefined && email.text.trim() !== '' && (hasPlainPart || !email.html))
    return { text: cleanText(email.text), source: 'text/plain' };
  if (email.html !== undefined && email.html.trim() !== '')
    return { text: htmlToText(email.html), source: 'text/html' };
  return { text: '', source: '' };
}

function listAttachments(email: Email, problems: string[]): AttachmentInfo[] {
  if (email.attachments.length > maxAttachments) {
    problems.push(
      `the message has ${email.attachments.length} attachments; the first ${maxAttachments} are listed`,
    );
  }
  return email.attachments.slice(0, maxAttachments).map((attachment) => {
    const content =
      typeof attachment.content === 'string'
        ? Buffer.from(attachment.content)
        : new Uint8Array(attachment.content);
    return {
      fileName: capText(sanitizeLine(attachment.filename ?? ''), 255).text,
      declaredType: capText(sanitizeLine(attachment.mimeType), 255).text,
      detectedType: detectType(content),
      sizeBytes: content.byteLength,
    };
  });
}

/** Elements whose content is not displayed as text, skipped up to their end tag. */
const skippedElements = new Set([
  'script',
  'style',
  'head',
  'title',
  'template',
  'noscript',
  'iframe',
  'object',
  'svg',
  'math',
  'textarea',
  'select',
]);
/** Elements that start a new line in the text. */
const lineElements = new Set([
  'br',
  'p',
  'div',
  'li',
  'tr',
  'table',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'pre',
  'hr',
  'ul',
  'ol',
  'section',
  'article',
  'header',
  'footer',
]);

/**
 * Reduces HTML to plain text: comments and the content of script, style and similar
 * elements are dropped, every tag is removed, entities are decoded, and the result is
 * cleaned like any text. A scan with indexOf keeps the work linear even for unclosed tags.
 */
export function htmlToText(html: string): string {
  const input = html.length > maxHtmlChars ? html.slice(0, maxHtmlChars) : html;
  const lower = input.toLowerCase();
  const parts: string[] = [];
  const tagName = /<\/?([a-z][a-z0-9-]*)/y;
  let position = 0;
  while (position < input.length) {
    const open = input.indexOf('<', position);
    if (open === -1) {
      parts.push(decodeHtmlEntities(input.slice(position)));
      break;
    }
    parts.push(decodeHtmlEntities(input.slice(position, open)));
    if (lower.startsWith('<!--', open)) {
      position = endAfter(lower, '-->', open + 4);
      continue;
    }
    tagName.lastIndex = open;
    const match = tagName.exec(lower);
    if (match === null) {
      // A declaration such as <!DOCTYPE> or a processing instruction is dropped, a lone "<" is text.
      if (lower.startsWith('<!', open) || lower.startsWith('<?', open)) {
        position = endAfter(lower, '>', open + 2);
      } else {
        parts.push('<');
        position = open + 1;
      }
      continue;
    }
    const name = match[1]!;
    const isClosing = lower[open + 1] === '/';
    position = endAfter(lower, '>', open + match[0].length);
    if (!isClosing && skippedElements.has(name)) {
      const close = lower.indexOf(`</${name}`, position);
      position = close === -1 ? input.length : endAfter(lower, '>', close);
    } else if (lineElements.has(name)) {
      parts.push('\n');
    } else if (name === 'td' || name === 'th') {
      parts.push(' ');
    }
  }
  return cleanText(parts.join(''));
}

/** Index just after the next `marker` at or after `from`, or the end of `text`. */
function endAfter(text: string, marker: string, from: number): number {
  const index = text.indexOf(marker, from);
  return index === -1 ? text.length : index + marker.length;
}

/**
 * Characters that are dropped from previews: C0 and C1 controls other than tab and line feed,
 * and the invisible format characters (zero-width and bidirectional controls) that can make
 * text display differently from what it contains.
 */
const hiddenCharacters =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/** Removes hidden characters, normalises line ends and collapses runs of blank space. */
export function cleanText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(hiddenCharacters, '')
    .replace(/[ \t\u00a0]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Makes text fit on one line: every control and hidden character becomes a space. */
function sanitizeLine(text: string): string {
  return text
    .replace(hiddenCharacters, (character) => (character <= '\u009f' ? ' ' : ''))
    .replace(/[ \t\n]+/g, ' ')
    .trim();
}

/** Cuts `text` to at most `max` UTF-16 units without splitting a surrogate pair. */
function capText(text: string, max: number): { text: string; isTruncated: boolean } {
  if (text.length <= max) return { text, isTruncated: false };
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return { text: text.slice(0, end), isTruncated: true };
}

/** Magic numbers of common attachment types, checked at the start of the content. */
const signatures: [type: string, magic: number[]][] = [
  ['pdf', [0x25, 0x50, 0x44, 0x46]],
  ['zip', [0x50, 0x4b, 0x03, 0x04]],
  ['exe', [0x4d, 0x5a]],
  ['elf', [0x7f, 0x45, 0x4c, 0x46]],
  ['gzip', [0x1f, 0x8b]],
  ['rar', [0x52, 0x61, 0x72, 0x21]],
  ['7z', [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]],
  ['ole2', [0xd0, 0xcf, 0x11, 0xe0]],
  ['png', [0x89, 0x50, 0x4e, 0x47]],
  ['jpeg', [0xff, 0xd8, 0xff]],
  ['gif', [0x47, 0x49, 0x46, 0x38]],
  ['rtf', [0x7b, 0x5c, 0x72, 0x74, 0x66]],
];

/** Names the type of `content` from its first bytes, or '' when none matches. */
export function detectType(content: Uint8Array): string {
  for (const [type, magic] of signatures) {
    if (content.length >= magic.length && magic.every((byte, index) => content[index] === byte))
      return type;
  }
  return '';
}
