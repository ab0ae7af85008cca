import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { brotliCompressSync, brotliDecompressSync, constants as zlib } from 'node:zlib';
import { backupUnreadable } from '../errors.js';

/** Length of an AES-256 key in bytes. */
export const backupKeyBytes = 32;

/**
 * Layout of a sealed body: magic "MSBK", format version, key id (4 bytes), nonce (12 bytes),
 * AES-256-GCM ciphertext of the Brotli-compressed bytes, then the 16-byte tag. The header is
 * authenticated too, so a changed key id or version fails like a changed body.
 */
const magic = Buffer.from('MSBK', 'latin1');
const formatVersion = 1;
const keyIdBytes = 4;
const nonceBytes = 12;
const tagBytes = 16;
const headerBytes = magic.length + 1 + keyIdBytes + nonceBytes;
// Brotli at quality 5 is about as fast as gzip's default level and a little smaller on text.
// Qualities 10 and 11 save some 10% more but cost tens of times the CPU (a quick check on
// Markdown text, not a benchmark).
const brotliQuality = 5;

/** An AES-256 key for Backup bodies. Printing or serializing it shows only its id. */
export class BackupKey {
  /** Short fingerprint written into every sealed body, so a rotation can pick the right key. */
  readonly id: Buffer;
  readonly #bytes: Buffer;

  constructor(bytes: Uint8Array) {
    if (bytes.length !== backupKeyBytes)
      throw new RangeError(`a backup key has ${backupKeyBytes} bytes, not ${bytes.length}`);
    this.#bytes = Buffer.from(bytes);
    this.id = createHash('sha256')
      .update('mailshield backup key id\0')
      .update(this.#bytes)
      .digest()
      .subarray(0, keyIdBytes);
  }

  get idHex(): string {
    return this.id.toString('hex');
  }

  /** Raw key bytes, for the cipher only. */
  secret(): Buffer {
    return this.#bytes;
  }

  toJSON(): { id: string } {
    return { id: this.idHex };
  }

  [inspect.custom](): string {
    return `BackupKey(${this.idHex})`;
  }
}

/** Tells whether `bytes` starts with the sealed-body magic, which bytes written before sealing lack. */
export function isSealed(bytes: Uint8Array): boolean {
  return bytes.length >= magic.length && magic.equals(Buffer.from(bytes).subarray(0, magic.length));
}

/** Compresses then encrypts `plain` with a fresh random nonce. */
export function sealBody(key: BackupKey, plain: Uint8Array): Buffer {
  const compressed = brotliCompressSync(plain, {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: brotliQuality,
      [zlib.BROTLI_PARAM_SIZE_HINT]: plain.length,
    },
  });
  const header = Buffer.concat([magic, Buffer.of(formatVersion), key.id, randomBytes(nonceBytes)]);
  const cipher = createCipheriv('aes-256-gcm', key.secret(), header.subarray(-nonceBytes));
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(compressed), cipher.final()]);
  return Buffer.concat([header, body, cipher.getAuthTag()]);
}

/**
 * Verifies and decrypts a body written by `sealBody`. Throws BackupUnreadableError, naming
 * `label`, when the format, the key or the tag does not match, so unverified bytes never leave.
 */
export function openBody(key: BackupKey, sealed: Uint8Array, label: string): Buffer {
  const bytes = Buffer.from(sealed);
  checkHeader(key, bytes, label);

  const header = bytes.subarray(0, headerBytes);
  const decipher = createDecipheriv('aes-256-gcm', key.secret(), header.subarray(-nonceBytes));
  decipher.setAAD(header);
  decipher.setAuthTag(bytes.subarray(-tagBytes));
  let compressed: Buffer;
  try {
    compressed = Buffer.concat([
      decipher.update(bytes.subarray(headerBytes, -tagBytes)),
      decipher.final(),
    ]);
  } catch (err) {
    throw backupUnreadable(
      `${label} failed authentication: it was changed after it was written`,
      err,
    );
  }
  try {
    return brotliDecompressSync(compressed);
  } catch (err) {
    throw backupUnreadable(`${label} failed to decompress`, err);
  }
}

function checkHeader(key: BackupKey, bytes: Buffer, label: string): void {
  if (!isSealed(bytes) || bytes.length < headerBytes + tagBytes)
    throw backupUnreadable(`${label} is not a sealed backup body or is truncated`);

  const version = bytes[magic.length];
  if (version !== formatVersion)
    throw backupUnreadable(
      `${label} has format version ${version}, but only version ${formatVersion} is supported`,
    );

  const keyId = bytes.subarray(magic.length + 1, magic.length + 1 + keyIdBytes);
  if (!keyId.equals(key.id))
    throw backupUnreadable(
      `${label} was encrypted with backup key ${keyId.toString('hex')}, but the configured key ` +
        `is ${key.idHex}. Configure the key it was written with.`,
    );
}
