import type { SMTPServerDataStream } from 'smtp-server';
import { LineEndingCheck } from '../domain/line-ending-check.js';

/** The DATA of one message as read from smtp-server. */
export type ReadResult =
  | { kind: 'complete'; raw: Buffer }
  | { kind: 'too_large'; bytes: number }
  | { kind: 'bare_line_ending' }
  | { kind: 'aborted'; error: Error };

/**
 * Reads a DATA stream into memory, keeping every byte as received (NUL bytes included).
 * Past `maxBytes` it stops keeping data and only drains the stream, which smtp-server needs to
 * find the end of DATA. smtp-server has already removed the dot-stuffing.
 */
export async function readMessage(
  stream: SMTPServerDataStream,
  maxBytes: number,
): Promise<ReadResult> {
  const chunks: Buffer[] = [];
  const lineCheck = new LineEndingCheck();
  let bytes = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > maxBytes || stream.sizeExceeded) {
        chunks.length = 0;
        continue;
      }
      lineCheck.update(chunk);
      chunks.push(chunk);
    }
  } catch (err) {
    return { kind: 'aborted', error: err as Error };
  }
  if (bytes > maxBytes || stream.sizeExceeded) return { kind: 'too_large', bytes };
  if (lineCheck.finish()) return { kind: 'bare_line_ending' };
  return { kind: 'complete', raw: Buffer.concat(chunks, bytes) };
}
