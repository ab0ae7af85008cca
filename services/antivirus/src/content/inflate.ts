import { constants as bufferConstants } from 'node:buffer';
import { constants, gunzipSync, inflateRawSync } from 'node:zlib';

/** Result of a decompression that stops at an output limit. */
export type BoundedOutput =
  | { status: 'complete'; content: Buffer }
  /** The output passed `maxBytes`; decompression stopped there. */
  | { status: 'over-limit' }
  | { status: 'corrupted'; detail: string };

/**
 * Input bytes read to guess the type of data that is not expanded in full. Deflate output is
 * at most about 1032 times its input, so 512 bytes give at most about 530 KB.
 */
const PEEK_INPUT_BYTES = 512;
const PEEK_MAX_OUTPUT = 1024 * 1024;

/**
 * Inflates raw deflate data, stopping as soon as the output passes `maxBytes`: zlib throws a
 * RangeError (ERR_BUFFER_TOO_LARGE) from inside its output loop, so a bomb costs about
 * `maxBytes` of work and memory whatever sizes the headers declare. Data after the end of the
 * deflate stream is ignored.
 */
export function inflateBounded(data: Buffer, maxBytes: number): BoundedOutput {
  const maxOutputLength = outputLimit(maxBytes);
  return decompressBounded(() => inflateRawSync(data, { maxOutputLength }), maxBytes);
}

/** Decompresses a whole gzip file (every member, with CRC and size checks) like `inflateBounded`. */
export function gunzipBounded(data: Buffer, maxBytes: number): BoundedOutput {
  const maxOutputLength = outputLimit(maxBytes);
  return decompressBounded(() => gunzipSync(data, { maxOutputLength }), maxBytes);
}

/**
 * Inflates the start of raw deflate data, enough to recognise a type by its magic bytes.
 * Truncated or damaged data gives what could be read, possibly nothing.
 */
export function peekInflated(data: Buffer): Buffer {
  try {
    return inflateRawSync(data.subarray(0, PEEK_INPUT_BYTES), {
      finishFlush: constants.Z_SYNC_FLUSH,
      maxOutputLength: PEEK_MAX_OUTPUT,
    });
  } catch {
    return Buffer.alloc(0);
  }
}

/** zlib takes a limit from 1 to the largest Buffer; a zero budget still rejects any output. */
function outputLimit(maxBytes: number): number {
  return Math.min(bufferConstants.MAX_LENGTH, Math.max(1, Math.floor(maxBytes)));
}

function decompressBounded(run: () => Buffer, maxBytes: number): BoundedOutput {
  let content: Buffer;
  try {
    content = run();
  } catch (error) {
    if (isOutputTooLarge(error)) return { status: 'over-limit' };
    const detail = error instanceof Error ? error.message : String(error);
    return { status: 'corrupted', detail };
  }
  if (content.length > maxBytes) return { status: 'over-limit' };
  return { status: 'complete', content };
}

function isOutputTooLarge(error: unknown): boolean {
  return (
    error instanceof RangeError && (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE'
  );
}
