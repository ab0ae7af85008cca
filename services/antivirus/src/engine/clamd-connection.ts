import { connect, type Socket } from 'node:net';
import type { HostPort } from '@mailshield/common';
import { ClamdError, clamdErrorOfSocket } from './clamd-error.js';

/** Limits of one exchange with clamd. */
export interface ClamdCallOptions {
  /** Time the whole exchange may take, in milliseconds. When it ends the socket is destroyed. */
  timeoutMs: number;
  /** Aborts the exchange and destroys the socket. */
  signal?: AbortSignal;
}

/** Result of one connection, once clamd closed it. */
export interface ExchangeResult {
  /** Every byte clamd sent. */
  reply: Buffer;
  /** The socket error seen before the close, if any. A complete reply may still have arrived. */
  socketError: ClamdError | undefined;
}

/** Bytes of reply accepted from one connection. clamd replies are a few hundred bytes at most. */
const MAX_REPLY_BYTES = 64 * 1024;

/**
 * Opens one connection to clamd, runs `send` on it and collects the reply until clamd closes
 * the connection, which it does after replying to a `z` command. Rejects with ClamdError
 * `timeout` when the connect takes longer than `connectTimeoutMs` or the whole exchange longer
 * than `call.timeoutMs`, with `aborted` on `call.signal`, and with `badReply` when the reply
 * grows past 64 KiB. In each case the socket is destroyed, so nothing stays open to a silent
 * clamd.
 */
export function exchange(
  address: HostPort,
  send: (socket: Socket) => Promise<void>,
  call: ClamdCallOptions,
  connectTimeoutMs: number,
): Promise<ExchangeResult> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: address.host, port: address.port });
    const chunks: Buffer[] = [];
    let replyBytes = 0;
    let isConnected = false;
    let socketError: ClamdError | undefined;
    let isSettled = false;

    const settle = (action: () => void): void => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(deadlineTimer);
      clearTimeout(connectTimer);
      call.signal?.removeEventListener('abort', onAbort);
      action();
    };
    const fail = (err: ClamdError): void =>
      settle(() => {
        socket.destroy();
        reject(err);
      });
    const onAbort = (): void => fail(new ClamdError('aborted', 'clamd exchange aborted'));

    const timeoutMs = Math.max(0, call.timeoutMs);
    const deadlineTimer = setTimeout(
      () =>
        fail(
          new ClamdError(
            'timeout',
            `clamd did not reply before the scan deadline (${Math.round(timeoutMs)} ms were left for this attempt)`,
          ),
        ),
      timeoutMs,
    );
    const connectTimer = setTimeout(
      () =>
        fail(new ClamdError('timeout', `connect to clamd took longer than ${connectTimeoutMs} ms`)),
      Math.min(connectTimeoutMs, timeoutMs),
    );
    if (call.signal?.aborted === true) return onAbort();
    call.signal?.addEventListener('abort', onAbort, { once: true });

    socket.setNoDelay(true);
    socket.on('connect', () => {
      isConnected = true;
      clearTimeout(connectTimer);
    });
    socket.on('data', (data: Buffer) => {
      replyBytes += data.length;
      if (replyBytes > MAX_REPLY_BYTES)
        return fail(new ClamdError('badReply', `clamd reply longer than ${MAX_REPLY_BYTES} bytes`));
      chunks.push(data);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      socketError ??= clamdErrorOfSocket(err, isConnected);
    });
    socket.on('close', () => settle(() => resolve({ reply: Buffer.concat(chunks), socketError })));
    send(socket).catch((err: unknown) => {
      // A failed write also fails the socket, which reports the cause through 'error'.
      socketError ??= new ClamdError('closed', 'could not send to clamd', { cause: err });
    });
  });
}

/**
 * Resolves once the socket's write buffer has drained. Rejects when the socket closes first,
 * so a sender stops writing to a connection that is gone.
 */
export async function drained(socket: Socket): Promise<void> {
  if (!socket.destroyed) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }
  if (socket.destroyed) throw new Error('connection to clamd closed while sending');
}
