import { dnsError, type DnsResolver } from './resolver.js';

/** Result of a block list lookup for one name: the addresses in the answer, none when unlisted. */
export interface ListingAnswer {
  addresses: string[];
}

export interface LookupCacheOptions {
  /** Largest number of names kept, dropping the least recently used first. Default 10,000. */
  maxEntries?: number;
  /** Longest time an answer is kept, whatever its TTL, in seconds. Default 3600. */
  maxTtlSeconds?: number;
  /**
   * How long "not listed" (NXDOMAIN, or no A record) is kept, in seconds. c-ares does not
   * report the zone's negative TTL, so a fixed time replaces it. Default 300.
   */
  negativeTtlSeconds?: number;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

interface Entry {
  answer: ListingAnswer;
  expiresAt: number;
}

/**
 * A-record lookups for block lists with a small LRU cache that keeps each answer for its TTL,
 * and one shared query per name while it is in flight. Errors (timeouts, SERVFAIL) are not
 * cached, so the next message asks again.
 */
export class ListingLookup {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<ListingAnswer>>();
  private readonly maxEntries: number;
  private readonly maxTtlMs: number;
  private readonly negativeTtlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly resolver: DnsResolver,
    options: LookupCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.maxTtlMs = (options.maxTtlSeconds ?? 3600) * 1000;
    this.negativeTtlMs = (options.negativeTtlSeconds ?? 300) * 1000;
    this.now = options.now ?? Date.now;
  }

  /** Number of names cached now. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Returns the A records of `name`, from the cache when fresh. Rejects with the resolver's
   * error on a DNS failure and with ECANCELLED when `signal` aborts. An abort leaves the
   * shared query running for the other callers.
   */
  lookup(name: string, signal: AbortSignal): Promise<ListingAnswer> {
    const key = name.toLowerCase();
    const cached = this.fromCache(key);
    if (cached !== undefined) return Promise.resolve(cached);
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = this.query(key).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return raceSignal(pending, signal, key);
  }

  private fromCache(key: string): ListingAnswer | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= this.now()) return undefined;
    // Re-inserting moves the name to the end of the Map's order: the most recently used.
    this.entries.set(key, entry);
    return entry.answer;
  }

  private async query(key: string): Promise<ListingAnswer> {
    try {
      const records = await this.resolver.resolveA(key);
      const ttlMs = Math.min(...records.map((record) => record.ttl * 1000), this.maxTtlMs);
      const answer = { addresses: records.map((record) => record.address) };
      this.store(key, answer, ttlMs);
      return answer;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (code !== 'ENOTFOUND' && code !== 'ENODATA') throw err;
      const answer = { addresses: [] };
      this.store(key, answer, this.negativeTtlMs);
      return answer;
    }
  }

  private store(key: string, answer: ListingAnswer, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.entries.set(key, { answer, expiresAt: this.now() + ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}

function raceSignal<T>(promise: Promise<T>, signal: AbortSignal, name: string): Promise<T> {
  const cancelled = () => dnsError('ECANCELLED', `lookup of ${name} cancelled`);
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
