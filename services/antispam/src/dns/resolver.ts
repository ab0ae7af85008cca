import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { formatHostPort, parseHostPort } from '@mailshield/common';

/** Record types the checks look up. mailauth needs all of them for SPF. */
export type RecordType = 'A' | 'AAAA' | 'TXT' | 'MX' | 'PTR' | 'CNAME';

/** An IPv4 answer with the time it may be cached, in seconds. */
export interface AddressAnswer {
  address: string;
  ttl: number;
}

/**
 * DNS lookups for the network checks. Every lookup ends within the resolver's timeout and
 * rejects at once when its signal aborts. Failures reject with an Error whose `code` is one
 * of node:dns's codes: ENOTFOUND (no such name), ENODATA (no record of the type), ETIMEOUT,
 * ECANCELLED (aborted), ESERVFAIL, EREFUSED, ECONNREFUSED.
 */
export interface DnsResolver {
  /** Answers as node:dns's `resolve(name, type)` gives them, the form mailauth expects. */
  resolve(name: string, type: RecordType, signal?: AbortSignal): Promise<unknown[]>;
  /** IPv4 addresses with their TTL, for block list answers that are cached. */
  resolveA(name: string, signal?: AbortSignal): Promise<AddressAnswer[]>;
  /** The servers asked, as `host:port`, or ['system'] for the system's resolver settings. */
  readonly servers: readonly string[];
}

export interface DnsResolverOptions {
  /** Name servers as `host:port` with an IP address as host. Empty uses the system's. */
  servers: readonly string[];
  /** Deadline of one lookup, retries included, in seconds. */
  timeoutSeconds: number;
}

/** Creates a node:dns style error, so that mailauth and the checks can branch on `code`. */
export function dnsError(code: string, message: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/**
 * Parses a name server given as `host[:port]` (`192.0.2.53`, `192.0.2.53:5353`,
 * `[2001:db8::53]:53`, `2001:db8::53`). Returns `host:port` for Resolver.setServers, or
 * undefined when the host is not an IP address: a name server given by name would need a
 * resolver to find it.
 */
export function parseNameServer(text: string): string | undefined {
  const trimmed = text.trim();
  if (isIP(trimmed) !== 0) return formatHostPort({ host: trimmed, port: 53 });
  const parsed = parseHostPort(trimmed);
  if (parsed === undefined || isIP(parsed.host) === 0 || parsed.port === 0) return undefined;
  return formatHostPort(parsed);
}

/** Creates a resolver on node:dns (c-ares): UDP queries, TCP for answers too long for UDP. */
export function createDnsResolver(options: DnsResolverOptions): DnsResolver {
  const timeoutMs = Math.max(1, Math.round(options.timeoutSeconds * 1000));
  // One try: the deadline below is the whole budget of a lookup, so c-ares must not spend it
  // on its own retries with growing back-off.
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  if (options.servers.length > 0) resolver.setServers([...options.servers]);
  const bounded = <T>(name: string, signal: AbortSignal | undefined, query: () => Promise<T>) =>
    withDeadline(name, timeoutMs, signal, query);
  return {
    servers: options.servers.length > 0 ? [...options.servers] : ['system'],
    resolve: (name, type, signal) =>
      bounded(name, signal, () => resolver.resolve(name, type) as Promise<unknown[]>),
    resolveA: (name, signal) => bounded(name, signal, () => resolver.resolve4(name, { ttl: true })),
  };
}

/**
 * Runs one query, rejecting with ETIMEOUT after `timeoutMs` and with ECANCELLED when `signal`
 * aborts. The query itself may still finish later, and its answer is then dropped.
 */
function withDeadline<T>(
  name: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  query: () => Promise<T>,
): Promise<T> {
  if (signal?.aborted === true)
    return Promise.reject(dnsError('ECANCELLED', `lookup of ${name} cancelled`));
  return new Promise<T>((resolve, reject) => {
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      finish();
      reject(dnsError('ECANCELLED', `lookup of ${name} cancelled`));
    };
    const timer = setTimeout(() => {
      finish();
      reject(dnsError('ETIMEOUT', `lookup of ${name} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    query().then(
      (value) => {
        finish();
        resolve(value);
      },
      (err: unknown) => {
        finish();
        reject(err);
      },
    );
  });
}
