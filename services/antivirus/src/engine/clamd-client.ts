import { isAbsolute } from 'node:path';
import type { Socket } from 'node:net';
import type { HostPort } from '@mailshield/common';
import { ClamdError } from './clamd-error.js';
import {
  drained,
  exchange,
  type ClamdCallOptions,
  type ExchangeResult,
} from './clamd-connection.js';
import {
  chunkHeader,
  encodeCommand,
  END_OF_STREAM,
  MAX_CHUNK_LENGTH,
  parsePong,
  parseScanReply,
  parseVersion,
  splitReply,
  type ClamdVersion,
  type ScanSubject,
} from './clamd-protocol.js';

export type { ClamdCallOptions } from './clamd-connection.js';

export interface ClamdClientOptions {
  /** Bytes per INSTREAM chunk. Default 64 KiB. */
  chunkBytes?: number;
  /** Time a TCP connect may take, in milliseconds, within the call's own timeout. Default 2000. */
  connectTimeoutMs?: number;
}

/** Timeout of the follow-up that checks whether a dropped stream was over StreamMaxLength. */
const SIZE_CHECK_TIMEOUT_MS = 1000;

/**
 * The clamd protocol over TCP: one connection per command, as clamd closes the connection
 * after replying to a `z` command. Every method rejects with ClamdError only.
 */
export class ClamdClient {
  private readonly chunkBytes: number;
  private readonly connectTimeoutMs: number;

  constructor(
    readonly address: HostPort,
    options: ClamdClientOptions = {},
  ) {
    this.chunkBytes = options.chunkBytes ?? 64 * 1024;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 2000;
  }

  /** Sends PING; resolves when clamd replies PONG. */
  async ping(call: ClamdCallOptions): Promise<void> {
    parsePong(await this.command('PING', call));
  }

  /** Sends VERSION and parses the engine and database versions. */
  async version(call: ClamdCallOptions): Promise<ClamdVersion> {
    return parseVersion(await this.command('VERSION', call));
  }

  /**
   * Sends `content` with INSTREAM and resolves the signature names found, empty when clean.
   * When clamd drops the stream without a reply (clamd closes with our unread chunks pending,
   * so its "size limit" reply can be lost to the reset), a header-only INSTREAM checks
   * whether the length is over StreamMaxLength, so that a deterministic limit is not mistaken
   * for a transient failure.
   */
  async scanStream(content: Buffer, call: ClamdCallOptions): Promise<string[]> {
    const started = performance.now();
    const result = await this.exchange((socket) => this.sendStream(socket, content), call);
    try {
      return readScanReply(result, 'stream');
    } catch (err) {
      const isDropped =
        err instanceof ClamdError && (err.kind === 'reset' || err.kind === 'closed');
      if (!isDropped || content.length === 0) throw err;
      const remainingMs = call.timeoutMs - (performance.now() - started);
      if (await this.isOverStreamLimit(content.length, { ...call, timeoutMs: remainingMs }))
        throw new ClamdError('sizeLimit', 'stream is longer than clamd StreamMaxLength');
      throw err;
    }
  }

  /**
   * Sends `SCAN <path>` to a clamd that shares the filesystem and resolves the signature names
   * found. Rejects with ClamdError `fileError` when the path is not absolute, contains NUL, or
   * clamd cannot read it.
   */
  async scanFile(path: string, call: ClamdCallOptions): Promise<string[]> {
    if (!isAbsolute(path) || path.includes('\0'))
      throw new ClamdError('fileError', `SCAN needs an absolute path without NUL: ${path}`);
    const result = await this.exchange(writeAll(encodeCommand(`SCAN ${path}`)), call);
    return readScanReply(result, 'file');
  }

  private async command(name: string, call: ClamdCallOptions): Promise<string[]> {
    const result = await this.exchange(writeAll(encodeCommand(name)), call);
    const { lines, isComplete } = splitReply(result.reply);
    if (!isComplete || lines.length === 0) throw droppedError(result);
    return lines;
  }

  private exchange(
    send: (socket: Socket) => Promise<void>,
    call: ClamdCallOptions,
  ): Promise<ExchangeResult> {
    return exchange(this.address, send, call, this.connectTimeoutMs);
  }

  private async sendStream(socket: Socket, content: Buffer): Promise<void> {
    socket.write(encodeCommand('INSTREAM'));
    for (let offset = 0; offset < content.length; offset += this.chunkBytes) {
      if (socket.destroyed) return;
      const chunk = content.subarray(offset, offset + this.chunkBytes);
      socket.cork();
      socket.write(chunkHeader(chunk.length));
      const hasRoom = socket.write(chunk);
      socket.uncork();
      if (!hasRoom) await drained(socket);
    }
    if (!socket.destroyed) socket.write(END_OF_STREAM);
  }

  /**
   * Announces one chunk of `length` bytes and sends nothing more. clamd checks a chunk's length
   * against StreamMaxLength before reading it, so it either rejects the length at once or reads
   * the end of our data and closes.
   */
  private async isOverStreamLimit(length: number, call: ClamdCallOptions): Promise<boolean> {
    if (call.timeoutMs <= 0) return false;
    const header = chunkHeader(Math.min(length, MAX_CHUNK_LENGTH));
    const check = { ...call, timeoutMs: Math.min(call.timeoutMs, SIZE_CHECK_TIMEOUT_MS) };
    try {
      const result = await this.exchange(async (socket) => {
        socket.end(Buffer.concat([encodeCommand('INSTREAM'), header]));
      }, check);
      readScanReply(result, 'stream');
      return false;
    } catch (err) {
      return err instanceof ClamdError && err.kind === 'sizeLimit';
    }
  }
}

function readScanReply(result: ExchangeResult, subject: ScanSubject): string[] {
  const { lines, isComplete } = splitReply(result.reply);
  // A reply cut off by a reset or close is never read as a verdict.
  if (!isComplete) throw droppedError(result);
  if (lines.length === 0 && result.socketError !== undefined) throw result.socketError;
  return parseScanReply(lines, subject);
}

function droppedError(result: ExchangeResult): ClamdError {
  return (
    result.socketError ??
    new ClamdError('closed', 'clamd closed the connection before a complete reply')
  );
}

function writeAll(data: Buffer): (socket: Socket) => Promise<void> {
  return async (socket) => {
    socket.write(data);
  };
}
