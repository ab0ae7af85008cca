/** Helpers that read HTML with regular expressions: enough for scoring, not a full parser. */
import { decodeHtmlEntities } from '@mailshield/common';

/** Visible text of an HTML fragment: tags, scripts and styles removed, entities decoded. */
export function htmlToText(html: string): string {
  const withoutBlocks = html.replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ');
  return decodeHtmlEntities(withoutBlocks.replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

export interface Anchor {
  href: string;
  text: string;
}

/** The `<a href>` elements of an HTML document with their visible text. */
export function readAnchors(html: string): Anchor[] {
  const anchors: Anchor[] = [];
  const pattern =
    /<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>([\s\S]*?)<\/a\s*>/gi;
  for (const match of html.matchAll(pattern)) {
    const href = decodeHtmlEntities(match[1] ?? match[2] ?? match[3] ?? '').trim();
    anchors.push({ href, text: htmlToText(match[4] ?? '') });
  }
  return anchors;
}

/** Host of an http(s) URL in lower case, or undefined for other schemes and bad URLs. */
export function urlHost(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
    return parsed.hostname.toLowerCase().replace(/\.$/, '');
  } catch {
    return undefined;
  }
}

/** Second-level labels under which country-code registries sell names, as in example.co.uk. */
const COUNTRY_SECOND_LEVELS = new Set([
  'co',
  'com',
  'net',
  'org',
  'gov',
  'edu',
  'ac',
  'ltd',
  'plc',
  'ne',
  'or',
  'go',
  'gob',
  'mil',
]);

/**
 * The registrable part of a host name, approximated as the last two labels, or three under a
 * two-letter country code with a common second level such as co.uk or com.au.
 */
// NOTE: this approximates the Public Suffix List, so hosts under suffixes it does not know
// (such as *.github.io) compare as one domain.
export function baseDomain(host: string): string {
  const labels = host.split('.');
  if (labels.length <= 2) return host;
  const tld = labels[labels.length - 1]!;
  const second = labels[labels.length - 2]!;
  const take = tld.length === 2 && COUNTRY_SECOND_LEVELS.has(second) ? 3 : 2;
  return labels.slice(-take).join('.');
}
