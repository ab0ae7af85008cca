export interface LruCacheOptions {
  /** Entries kept at most. */
  maxEntries: number;
  /** Sum of the entries' sizes kept at most, in bytes as the caller counts them. */
  maxBytes: number;
}

/**
 * A map that keeps the most recently used entries within an entry count and a byte budget,
 * evicting the least recently used first. It relies on Map keeping insertion order.
 */
export class LruCache<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private totalBytes = 0;

  constructor(private readonly options: LruCacheOptions) {}

  get size(): number {
    return this.entries.size;
  }

  /** Sum of the sizes of the entries kept, in bytes. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Returns the value of `key` and marks it most recently used. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /**
   * Stores `value` under `key` as the most recently used entry, then evicts the least recently
   * used until both limits hold. An entry larger than maxBytes on its own is not stored.
   */
  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.options.maxBytes || this.options.maxEntries < 1) return;
    this.entries.set(key, { value, bytes });
    this.totalBytes += bytes;
    while (this.entries.size > this.options.maxEntries || this.totalBytes > this.options.maxBytes)
      this.delete(this.entries.keys().next().value!);
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.totalBytes -= entry.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.totalBytes = 0;
  }
}
