/**
 * Decodes bytes in a MIME charset. Unknown charsets fall back to UTF-8 when the bytes are
 * valid UTF-8 and to Latin-1 otherwise, so a name is never dropped for its charset label.
 */
export function decodeCharset(bytes: Buffer, charset: string): string {
  const label = charset.trim().toLowerCase() || 'utf-8';
  try {
    return new TextDecoder(label, { fatal: true }).decode(bytes);
  } catch {
    return decodeUnknown(bytes);
  }
}

/** Bytes of unknown charset, such as raw 8-bit header text: UTF-8 if valid, else Latin-1. */
export function decodeUnknown(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** Re-reads a header string kept as Latin-1 (one char per byte) as UTF-8 where valid. */
export function fromHeaderBytes(text: string): string {
  return decodeUnknown(Buffer.from(text, 'latin1'));
}
