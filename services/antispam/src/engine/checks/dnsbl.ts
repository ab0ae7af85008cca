import type { DnsblZone } from '@mailshield/proto/policy';
import { ListingLookup, type LookupCacheOptions } from '../../dns/listing-lookup.js';
import { isPublicAddress, normalizeAddress, reversedName } from '../../dns/query-names.js';
import type { DnsResolver } from '../../dns/resolver.js';
import type { Check, CheckContext, Finding, ParsedMessage } from '../types.js';
import { urlDomains } from './url-domains.js';

export interface DnsblCheckOptions extends LookupCacheOptions {
  /**
   * URL lookups per message at most, over all URL zones: with 2 zones and the default 20,
   * the first 10 registered domains of the body are looked up.
   */
  maxUrlLookups?: number;
}

/** One query and the zone it goes to. */
interface Query {
  zone: DnsblZone;
  /** The client address or URL domain that the query name was built from. */
  subject: string;
  name: string;
}

interface Listing {
  zone: DnsblZone;
  subjects: string[];
  codes: string[];
}

/** True for an answer that means "listed" under the zone's return codes. */
function isListedCode(zone: DnsblZone, address: string): boolean {
  if (zone.returnCodes.length > 0) return zone.returnCodes.includes(address);
  // Lists answer 127.255.255.x for errors, such as Spamhaus refusing a public resolver.
  return address.startsWith('127.') && !address.startsWith('127.255.255.');
}

function clientQueries(context: CheckContext): Query[] {
  // Outbound mail comes from the organisation's own servers, which are not the question.
  if (context.envelope.outbound) return [];
  const address = normalizeAddress(context.envelope.clientAddress);
  if (address === undefined || !isPublicAddress(address)) return [];
  return context.policy.clientBlocklists.map((zone) => ({
    zone,
    subject: address,
    name: reversedName(address, zone.zone),
  }));
}

function urlQueries(message: ParsedMessage, context: CheckContext, maxLookups: number): Query[] {
  const zones = context.policy.urlBlocklists;
  if (zones.length === 0) return [];
  const domains = urlDomains(message, Math.max(1, Math.floor(maxLookups / zones.length)));
  return zones.flatMap((zone) =>
    domains.map((domain) => ({ zone, subject: domain, name: `${domain}.${zone.zone}` })),
  );
}

/**
 * Runs the queries. Returns the zones that listed something, and the zones that failed
 * (lookup error or an error code in the answer).
 */
async function runQueries(
  lookup: ListingLookup,
  queries: Query[],
  signal: AbortSignal,
): Promise<{ listings: Listing[]; failedZones: Set<string> }> {
  const answers = await Promise.allSettled(
    queries.map((query) => lookup.lookup(query.name, signal)),
  );
  const listings = new Map<DnsblZone, Listing>();
  const failedZones = new Set<string>();
  answers.forEach((answer, index) => {
    const query = queries[index]!;
    if (answer.status === 'rejected') {
      failedZones.add(query.zone.zone);
      return;
    }
    const codes = answer.value.addresses.filter((address) => isListedCode(query.zone, address));
    if (answer.value.addresses.some((address) => address.startsWith('127.255.255.')))
      failedZones.add(query.zone.zone);
    if (codes.length === 0) return;
    const listing = listings.get(query.zone) ?? { zone: query.zone, subjects: [], codes: [] };
    listing.subjects.push(query.subject);
    listing.codes.push(...codes.filter((code) => !listing.codes.includes(code)));
    listings.set(query.zone, listing);
  });
  return { listings: [...listings.values()], failedZones };
}

function listingFinding(listing: Listing, kind: 'client' | 'url'): Finding {
  const subjects = listing.subjects.slice(0, 5).join(', ');
  const more = listing.subjects.length > 5 ? ` and ${listing.subjects.length - 5} more` : '';
  return {
    name: kind === 'client' ? 'DNSBL_CLIENT_LISTED' : 'DNSBL_URL_LISTED',
    object: kind === 'client' ? 'envelope' : 'body',
    score: listing.zone.score,
    detail: `${subjects}${more} listed in ${listing.zone.zone} (${listing.codes.join(', ')})`,
  };
}

/**
 * Looks the client address up in the policy's client block lists and the registered domains
 * of the body's URLs in its URL block lists. Each zone that lists something adds its score
 * once, however many domains it lists. Sends no query when the policy has no zone, for
 * outbound mail, and for loopback, private and link-local clients. A failed lookup gives
 * DNSBL_TEMPERROR with no score: a DNS outage never makes mail spam.
 */
export function dnsblCheck(resolver: DnsResolver, options: DnsblCheckOptions = {}): Check {
  const lookup = new ListingLookup(resolver, options);
  const maxUrlLookups = options.maxUrlLookups ?? 20;
  return {
    name: 'dnsbl',
    async run(message, context): Promise<Finding[]> {
      const client = clientQueries(context);
      const url = urlQueries(message, context, maxUrlLookups);
      if (client.length === 0 && url.length === 0) return [];
      const [clientResult, urlResult] = await Promise.all([
        runQueries(lookup, client, context.signal),
        runQueries(lookup, url, context.signal),
      ]);
      const findings = [
        ...clientResult.listings.map((listing) => listingFinding(listing, 'client')),
        ...urlResult.listings.map((listing) => listingFinding(listing, 'url')),
      ];
      const failed = new Set([...clientResult.failedZones, ...urlResult.failedZones]);
      if (failed.size > 0) {
        findings.push({
          name: 'DNSBL_TEMPERROR',
          object: 'message',
          score: 0,
          detail: `no usable answer from ${[...failed].join(', ')}`,
        });
      }
      return findings;
    },
  };
}
