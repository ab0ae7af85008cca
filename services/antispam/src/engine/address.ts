/**
 * A small RFC 5322 (section 3.4) address parser for policy decisions. It keeps quoted local
 * parts whole, so `"ceo@example.com x"@example.net` has the domain example.net, drops
 * comments, and accepts the obsolete route syntax inside angle brackets. Anything it cannot
 * read with certainty is reported as invalid rather than guessed.
 */

/** One mailbox address. */
export interface Mailbox {
  /** Local part as written, quoted strings kept in quotes. */
  localPart: string;
  /** Lower-case domain in ASCII (IDNA) form, or a domain literal such as [192.0.2.1]. */
  domain: string;
  /** `localPart@domain`. */
  address: string;
}

interface Token {
  kind: 'atom' | 'quoted' | 'literal' | 'special';
  text: string;
}

const SPECIALS = new Set(['<', '>', '@', ',', ';', ':']);
const ATOM_END = /[\s"(<>@,;:[]/;

/** Splits a header value into tokens; undefined when a quote, comment or literal is unclosed. */
function tokenize(input: string): Token[] | undefined {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const char = input[i]!;
    if (/\s/.test(char)) {
      i += 1;
    } else if (char === '"') {
      const end = readQuoted(input, i);
      if (end === undefined) return undefined;
      tokens.push({ kind: 'quoted', text: unescapeQuoted(input.slice(i + 1, end)) });
      i = end + 1;
    } else if (char === '(') {
      const end = skipComment(input, i);
      if (end === undefined) return undefined;
      i = end + 1;
    } else if (char === '[') {
      const end = input.indexOf(']', i);
      if (end === -1) return undefined;
      tokens.push({ kind: 'literal', text: input.slice(i, end + 1) });
      i = end + 1;
    } else if (SPECIALS.has(char)) {
      tokens.push({ kind: 'special', text: char });
      i += 1;
    } else {
      let end = i + 1;
      while (end < input.length && !ATOM_END.test(input[end]!)) end += 1;
      tokens.push({ kind: 'atom', text: input.slice(i, end) });
      i = end;
    }
  }
  return tokens;
}

/** Index of the closing quote of the quoted string that opens at `start`. */
function readQuoted(input: string, start: number): number | undefined {
  for (let i = start + 1; i < input.length; i += 1) {
    if (input[i] === '\\') i += 1;
    else if (input[i] === '"') return i;
  }
  return undefined;
}

function unescapeQuoted(content: string): string {
  return content.replace(/\\(.)/g, '$1');
}

/** Index of the parenthesis that closes the comment opening at `start`; comments nest. */
function skipComment(input: string, start: number): number | undefined {
  let depth = 0;
  for (let i = start; i < input.length; i += 1) {
    const char = input[i];
    if (char === '\\') i += 1;
    else if (char === '(') depth += 1;
    else if (char === ')') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return undefined;
}

function isSpecial(token: Token | undefined, text: string): boolean {
  return token !== undefined && token.kind === 'special' && token.text === text;
}

function renderLocalPart(tokens: Token[]): string {
  return tokens
    .map((token) =>
      token.kind === 'quoted' ? `"${token.text.replace(/(["\\])/g, '\\$1')}"` : token.text,
    )
    .join('');
}

function normalizeDomain(tokens: Token[]): string | undefined {
  if (tokens.length === 1 && tokens[0]!.kind === 'literal') return tokens[0]!.text;
  if (tokens.some((token) => token.kind !== 'atom')) return undefined;
  const text = tokens
    .map((token) => token.text)
    .join('')
    .toLowerCase()
    .replace(/\.$/, '');
  if (text === '' || text.startsWith('.') || text.includes('..')) return undefined;
  // URL's IDNA mapping turns U-labels into A-labels and returns '' for invalid names.
  const ascii = /^[\x21-\x7e]+$/.test(text) ? text : new URL(`http://${text}`).hostname;
  return ascii === '' ? undefined : ascii;
}

/** Reads `local@domain` from tokens holding exactly one addr-spec. */
function readAddrSpec(tokens: Token[]): Mailbox | undefined {
  const at = tokens.findIndex((token) => isSpecial(token, '@'));
  if (at <= 0 || tokens.slice(at + 1).some((token) => token.kind === 'special')) return undefined;
  const local = tokens.slice(0, at);
  if (local.some((token) => token.kind === 'special' || token.kind === 'literal')) return undefined;
  let domain: string | undefined;
  try {
    domain = normalizeDomain(tokens.slice(at + 1));
  } catch {
    return undefined;
  }
  if (domain === undefined) return undefined;
  const localPart = renderLocalPart(local);
  return { localPart, domain, address: `${localPart}@${domain}` };
}

/** Reads a mailbox: `addr-spec` or `[display-name] <[route:]addr-spec>`. */
function readMailbox(tokens: Token[]): Mailbox | undefined {
  const open = tokens.findIndex((token) => isSpecial(token, '<'));
  if (open === -1) return readAddrSpec(tokens);
  const close = tokens.findIndex((token) => isSpecial(token, '>'));
  if (close < open || close !== tokens.length - 1) return undefined;
  // An unquoted @ in the display name ("alice@example.com <alice@example.com>") breaks the
  // grammar but is common and harmless, because only the angle address is used.
  if (tokens.slice(0, open).some((token) => token.kind === 'special' && token.text !== '@'))
    return undefined;
  let inner = tokens.slice(open + 1, close);
  // Obsolete source route (RFC 5322 section 4.4): "<@relay1,@relay2:user@example.org>".
  if (isSpecial(inner[0], '@')) {
    const colon = inner.findIndex((token) => isSpecial(token, ':'));
    if (colon === -1) return undefined;
    inner = inner.slice(colon + 1);
  }
  return readAddrSpec(inner);
}

/** Splits tokens at top-level commas, keeping `group: a, b;` together. */
function splitItems(tokens: Token[]): Token[][] {
  const items: Token[][] = [];
  let current: Token[] = [];
  let isInGroup = false;
  let angleDepth = 0;
  for (const token of tokens) {
    if (isSpecial(token, '<')) angleDepth += 1;
    if (isSpecial(token, '>')) angleDepth -= 1;
    if (angleDepth === 0 && isSpecial(token, ':') && !current.some((t) => isSpecial(t, '@')))
      isInGroup = true;
    if (isSpecial(token, ';')) isInGroup = false;
    if (angleDepth === 0 && !isInGroup && isSpecial(token, ',')) {
      items.push(current);
      current = [];
      continue;
    }
    current.push(token);
  }
  items.push(current);
  return items.filter((item) => item.length > 0);
}

/** Mailboxes of one list item: a mailbox, or the members of a group. */
function readItem(item: Token[]): Mailbox[] | undefined {
  const colon = item.findIndex((token) => isSpecial(token, ':'));
  const firstSpecial = item.find((token) => token.kind === 'special');
  if (colon === -1 || firstSpecial?.text !== ':') {
    const mailbox = readMailbox(item);
    return mailbox === undefined ? undefined : [mailbox];
  }
  const end = item.findIndex((token) => isSpecial(token, ';'));
  if (end !== -1 && end !== item.length - 1) return undefined;
  const members = splitMembers(item.slice(colon + 1, end === -1 ? item.length : end));
  const mailboxes: Mailbox[] = [];
  for (const member of members) {
    const mailbox = readMailbox(member);
    if (mailbox === undefined) return undefined;
    mailboxes.push(mailbox);
  }
  return mailboxes;
}

function splitMembers(tokens: Token[]): Token[][] {
  const members: Token[][] = [[]];
  let angleDepth = 0;
  for (const token of tokens) {
    if (isSpecial(token, '<')) angleDepth += 1;
    if (isSpecial(token, '>')) angleDepth -= 1;
    if (angleDepth === 0 && isSpecial(token, ',')) members.push([]);
    else members[members.length - 1]!.push(token);
  }
  return members.filter((member) => member.length > 0);
}

/**
 * Parses an address-list header value such as From or Reply-To. Returns undefined when any
 * part of it is malformed, so a caller never acts on a half-read header.
 */
export function parseAddressList(value: string): Mailbox[] | undefined {
  const tokens = tokenize(value);
  if (tokens === undefined) return undefined;
  const mailboxes: Mailbox[] = [];
  for (const item of splitItems(tokens)) {
    const found = readItem(item);
    if (found === undefined) return undefined;
    mailboxes.push(...found);
  }
  return mailboxes;
}

/** Parses an SMTP reverse-path or forward-path (`user@example.org`, optionally in `<>`). */
export function parsePath(value: string): Mailbox | undefined {
  const tokens = tokenize(value.trim());
  if (tokens === undefined || tokens.length === 0) return undefined;
  return isSpecial(tokens[0], '<') ? readMailbox(tokens) : readAddrSpec(tokens);
}
