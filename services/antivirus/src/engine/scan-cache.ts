import { createHash } from 'node:crypto';
import { monotonicClock, type Clock } from './circuit-breaker.js';
import { LruCache } from './lru-cache.js';
import { ScannerWrapper, type ScanRequest, type Scanner } from './scanner.js';
import type { EngineVerdict, ScanStatus } from './verdict.js';

export interface ScanCacheOptions {
  /** Verdicts kept; the least recently used go first. Default 100 000. */
  maxEntries?: number;
  /**
   * Bytes of keys, signature versions and signature names kept. Default 32 MiB, which fits
   * the default 100 000 entries with room to spare.
   */
  maxBytes?: number;
  /**
   * Seconds a verdict is reused, a bound on staleness when the signature version cannot
   * change (clamd with unofficial signature files only). 0 keeps verdicts until evicted.
   * Default 3600.
   */
  maxAgeSeconds?: number;
  /** Called on every lookup, with true for a hit; the service turns it into metrics. */
  onLookup?: (isHit: boolean) => void;
  clock?: Clock;
}

/** Verdicts that the same bytes and signatures always give again. Errors are never cached. */
const DEFINITIVE: ReadonlySet<ScanStatus> = new Set<ScanStatus>([
  'clean',
  'infected',
  'protected',
  'corrupted',
]);

interface CachedVerdict {
  signatureVersion: string;
  verdict: EngineVerdict;
  storedAt: number;
}

/**
 * A Scanner that reuses the verdicts of another one for content it has already seen with the
 * same signatures. The key is the SHA-256 of the content; an entry counts only while the
 * inner scanner's signatureVersion() is the one it was stored under.
 */
export class CachingScanner extends ScannerWrapper {
  private readonly cache: LruCache<CachedVerdict>;
  private readonly maxAgeMs: number;
  private readonly clock: Clock;
  private hitCount = 0;
  private missCount = 0;

  constructor(
    inner: Scanner,
    private readonly options: ScanCacheOptions = {},
  ) {
    super(inner);
    this.cache = new LruCache({
      maxEntries: options.maxEntries ?? 100_000,
      maxBytes: options.maxBytes ?? 32 * 1024 * 1024,
    });
    this.maxAgeMs = (options.maxAgeSeconds ?? 3600) * 1000;
    this.clock = options.clock ?? monotonicClock;
  }

  get hits(): number {
    return this.hitCount;
  }

  get misses(): number {
    return this.missCount;
  }

  /** Verdicts kept now. */
  get size(): number {
    return this.cache.size;
  }

  /** Returns the cached verdict for the content, or scans it and caches a definitive verdict. */
  async scan(request: ScanRequest): Promise<EngineVerdict> {
    const key = createHash('sha256').update(request.content).digest('base64url');
    const signatureVersion = this.inner.signatureVersion();
    const cached = this.lookup(key, signatureVersion);
    this.options.onLookup?.(cached !== undefined);
    if (cached !== undefined) {
      this.hitCount++;
      return copyVerdict(cached);
    }
    this.missCount++;
    const verdict = await this.inner.scan(request);
    if (DEFINITIVE.has(verdict.status)) {
      const stored = {
        signatureVersion,
        verdict: copyVerdict(verdict),
        storedAt: this.clock.now(),
      };
      this.cache.set(key, stored, entryBytes(key, stored));
    }
    return verdict;
  }

  /** Drops every cached verdict. */
  clear(): void {
    this.cache.clear();
  }

  private lookup(key: string, signatureVersion: string): EngineVerdict | undefined {
    const entry = this.cache.get(key);
    if (entry === undefined) return undefined;
    const isExpired = this.maxAgeMs > 0 && this.clock.now() - entry.storedAt > this.maxAgeMs;
    if (entry.signatureVersion === signatureVersion && !isExpired) return entry.verdict;
    this.cache.delete(key);
    return undefined;
  }
}

function copyVerdict(verdict: EngineVerdict): EngineVerdict {
  return { ...verdict, names: [...verdict.names] };
}

/** Returns the approximate size of an entry: the total length of its strings. */
function entryBytes(key: string, entry: CachedVerdict): number {
  const names = entry.verdict.names.reduce((sum, name) => sum + name.length, 0);
  return key.length + entry.signatureVersion.length + names;
}
