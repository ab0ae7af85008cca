import { isIP } from 'node:net';
import { getDomain } from 'tldts';
import type { ParsedMessage } from '../types.js';
import { readAnchors, urlHost } from './html-text.js';

/** Body text beyond this many characters is not searched for URLs, to bound the cost. */
const MAX_BODY_CHARS = 512 * 1024;

const URL_PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"'()[\]{}|\\^`]+/gi;

/** Host of a URL written in text, with or without a scheme. */
function hostOf(url: string): string | undefined {
  return urlHost(/^https?:\/\//i.test(url) ? url : `http://${url}`);
}

/**
 * Returns the registered domains of the http(s) and www. URLs in the text and HTML bodies and
 * in the HTML links, in order of first appearance, at most `max`. A registered domain is the
 * name a registrant bought, per the Public Suffix List with its private section, such as
 * example.co.uk or user.github.io. URLs whose host is an IP address are left out, because
 * domain block lists cannot list them.
 */
export function urlDomains(message: ParsedMessage, max: number): string[] {
  const text = message.text.slice(0, MAX_BODY_CHARS);
  const html = message.html.slice(0, MAX_BODY_CHARS);
  const urls = [
    ...readAnchors(html).map((anchor) => anchor.href),
    ...Array.from(`${text}\n${html}`.matchAll(URL_PATTERN), (match) => match[0]),
  ];
  const domains = new Set<string>();
  for (const url of urls) {
    if (domains.size >= max) break;
    const host = hostOf(url);
    if (host === undefined || isIP(host.replace(/^\[|\]$/g, '')) !== 0) continue;
    const domain = getDomain(host, { allowPrivateDomains: true });
    if (domain !== null) domains.add(domain);
  }
  return [...domains];
}
