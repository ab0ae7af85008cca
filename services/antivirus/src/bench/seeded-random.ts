import { createCipheriv, createHash, type Cipher } from 'node:crypto';

/** Bytes of keystream drawn at a time for the small numbers. */
const POOL_BYTES = 4096;
const TWO_POW_32 = 2 ** 32;

/**
 * Reproducible random numbers and bytes: the AES-128-CTR keystream of a key derived from the
 * seed, so the same seed gives the same mix on every machine and Node version.
 */
export class SeededRandom {
  private readonly cipher: Cipher;
  private pool: Buffer = Buffer.alloc(0);
  private offset = 0;

  constructor(seed: string) {
    const key = createHash('sha256').update(seed).digest().subarray(0, 16);
    this.cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  }

  /** Returns the next `length` bytes of the keystream. */
  bytes(length: number): Buffer {
    return this.cipher.update(Buffer.alloc(length));
  }

  /** Returns a number in [0, 1). */
  fraction(): number {
    if (this.offset + 4 > this.pool.length) {
      this.pool = this.bytes(POOL_BYTES);
      this.offset = 0;
    }
    const value = this.pool.readUInt32LE(this.offset);
    this.offset += 4;
    return value / TWO_POW_32;
  }

  /** Returns an integer in [0, count). */
  below(count: number): number {
    return Math.floor(this.fraction() * count);
  }

  /**
   * Returns an integer between `min` and `max` whose logarithm is uniform, so each decade of
   * sizes is as common as the next.
   */
  logUniform(min: number, max: number): number {
    return Math.round(min * Math.exp(this.fraction() * Math.log(max / min)));
  }

  /** Shuffles `items` in place (Fisher-Yates) and returns them. */
  shuffle<T>(items: T[]): T[] {
    for (let index = items.length - 1; index > 0; index--) {
      const other = this.below(index + 1);
      [items[index], items[other]] = [items[other]!, items[index]!];
    }
    return items;
  }
}
