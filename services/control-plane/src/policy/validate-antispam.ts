import { isIP, isIPv4 } from 'node:net';
import type { AntispamPolicy, DnsblZone, RecipientDomainLists } from '@mailshield/proto/policy';
import { cidrProblem, isDomainName, isSenderPattern } from './names.js';

/**
 * Zones per block list field at most. Each zone costs one lookup per message for the client,
 * and up to the URL lookup cap of the antispam service for URLs.
 */
const maxZones = 20;

const trimAll = (items: string[]) => items.map((item) => item.trim());

function normalizeZones(zones: DnsblZone[]): DnsblZone[] {
  return zones.map((zone) => ({
    ...zone,
    zone: zone.zone.trim().toLowerCase().replace(/\.$/, ''),
    returnCodes: trimAll(zone.returnCodes),
  }));
}

/**
 * Trims the antispam lists and block list zones, and lower-cases domains and zones, so that
 * the stored policy compares the way the antispam service matches.
 */
export function normalizeAntispamLists(antispam: AntispamPolicy): AntispamPolicy {
  return {
    ...antispam,
    senderAllowlist: trimAll(antispam.senderAllowlist),
    senderBlocklist: trimAll(antispam.senderBlocklist),
    networkAllowlist: trimAll(antispam.networkAllowlist),
    networkBlocklist: trimAll(antispam.networkBlocklist),
    recipientDomainLists: antispam.recipientDomainLists.map((lists) => ({
      ...lists,
      domain: lists.domain.trim().toLowerCase().replace(/\.$/, ''),
      senderAllowlist: trimAll(lists.senderAllowlist),
      senderBlocklist: trimAll(lists.senderBlocklist),
      networkAllowlist: trimAll(lists.networkAllowlist),
      networkBlocklist: trimAll(lists.networkBlocklist),
    })),
    clientBlocklists: normalizeZones(antispam.clientBlocklists),
    urlBlocklists: normalizeZones(antispam.urlBlocklists),
  };
}

/** Returns the problem with a network list entry (CIDR block or single address), or undefined. */
export function networkProblem(text: string): string | undefined {
  if (!text.includes('/')) {
    return isIP(text) !== 0
      ? undefined
      : 'expected an address or CIDR block such as 192.0.2.0/24 or 2001:db8::/32';
  }
  if (/\/0+$/.test(text)) return 'prefix length 0 would match every client';
  return cidrProblem(text);
}

type ListTexts = Pick<
  RecipientDomainLists,
  'senderAllowlist' | 'senderBlocklist' | 'networkAllowlist' | 'networkBlocklist'
>;

/** Appends a message to `errors` for each invalid sender or network entry of `lists`. */
export function checkLists(prefix: string, lists: ListTexts, errors: string[]): void {
  for (const list of ['senderAllowlist', 'senderBlocklist'] as const) {
    lists[list].forEach((entry, index) => {
      if (!isSenderPattern(entry)) {
        errors.push(
          `${prefix}.${list}[${index}]: ${JSON.stringify(entry)} is not an address, a domain or @domain`,
        );
      }
    });
  }
  for (const list of ['networkAllowlist', 'networkBlocklist'] as const) {
    lists[list].forEach((entry, index) => {
      const problem = networkProblem(entry);
      if (problem !== undefined)
        errors.push(`${prefix}.${list}[${index}]: ${JSON.stringify(entry)}: ${problem}`);
    });
  }
}

function checkRecipientDomains(antispam: AntispamPolicy, errors: string[]): void {
  const seen = new Set<string>();
  antispam.recipientDomainLists.forEach((lists, index) => {
    const field = `antispam.recipientDomainLists[${index}]`;
    if (!isDomainName(lists.domain)) {
      errors.push(`${field}.domain: ${JSON.stringify(lists.domain)} is not a valid domain name`);
    } else if (seen.has(lists.domain)) {
      errors.push(`${field}.domain: "${lists.domain}" has another entry; merge the two`);
    }
    seen.add(lists.domain);
    checkLists(field, lists, errors);
  });
}

function checkZone(field: string, zone: DnsblZone, errors: string[]): void {
  if (!isDomainName(zone.zone) || !zone.zone.includes('.')) {
    errors.push(
      `${field}.zone: ${JSON.stringify(zone.zone)} is not a DNS zone such as zen.spamhaus.org`,
    );
  }
  if (!Number.isFinite(zone.score)) errors.push(`${field}.score: must be a number`);
  zone.returnCodes.forEach((code, index) => {
    if (!isIPv4(code)) {
      errors.push(
        `${field}.returnCodes[${index}]: ${JSON.stringify(code)} is not an IPv4 address such as 127.0.0.2`,
      );
    }
  });
}

function checkZones(
  name: 'clientBlocklists' | 'urlBlocklists',
  zones: DnsblZone[],
  errors: string[],
) {
  if (zones.length > maxZones) errors.push(`antispam.${name}: at most ${maxZones} zones`);
  const seen = new Set<string>();
  zones.forEach((zone, index) => {
    const field = `antispam.${name}[${index}]`;
    if (seen.has(zone.zone)) errors.push(`${field}.zone: "${zone.zone}" is listed twice`);
    seen.add(zone.zone);
    checkZone(field, zone, errors);
  });
}

/**
 * Appends a message to `errors` for each invalid entry of the antispam allow and block lists,
 * the recipient domain lists and the DNS block list zones of a normalized policy.
 */
export function checkAntispamLists(antispam: AntispamPolicy, errors: string[]): void {
  checkLists('antispam', antispam, errors);
  checkRecipientDomains(antispam, errors);
  checkZones('clientBlocklists', antispam.clientBlocklists, errors);
  checkZones('urlBlocklists', antispam.urlBlocklists, errors);
  checkReportHeader(antispam.reportHeader, errors);
}

/** Header fields the antispam writes for other purposes, which the report must not replace. */
const reservedHeaders = [
  'x-spam-flag',
  'x-spam-score',
  'x-spam-status',
  'x-ms-exchange-organization-scl',
];

function checkReportHeader(name: string, errors: string[]): void {
  const trimmed = name.trim();
  if (trimmed === '') return;
  // RFC 5322 section 3.6.8: a field name is printable ASCII without spaces or colons.
  if (!/^[\x21-\x39\x3b-\x7e]{1,76}$/.test(trimmed)) {
    errors.push(
      `antispam.reportHeader: ${JSON.stringify(name)} is not a header field name; use letters, digits and dashes, such as X-Spam-Report`,
    );
  } else if (reservedHeaders.includes(trimmed.toLowerCase())) {
    errors.push(`antispam.reportHeader: ${trimmed} is already written with other content`);
  }
}
