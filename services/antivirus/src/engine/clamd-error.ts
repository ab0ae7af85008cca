import { status as GrpcStatus } from '@grpc/grpc-js';
import { MailshieldError } from '@mailshield/common';
import { AvReason } from '../errors.js';

/**
 * Kinds of failure of one exchange with clamd. The pool decides from the kind whether another
 * attempt can give a different result.
 */
export const ClamdErrorKind = {
  /** Nothing listens at the address (ECONNREFUSED and similar connect errors). */
  refused: 'refused',
  /** The connection was reset (ECONNRESET, EPIPE). */
  reset: 'reset',
  /** clamd closed the connection before a complete reply. */
  closed: 'closed',
  /** No complete reply before the deadline; the socket was destroyed. */
  timeout: 'timeout',
  /** The reply is not a clamd reply to the command sent. */
  badReply: 'badReply',
  /** clamd replied ERROR for the content, for example when it cannot create a temporary file. */
  scanError: 'scanError',
  /** The stream is longer than clamd's StreamMaxLength. The same content always fails. */
  sizeLimit: 'sizeLimit',
  /** SCAN could not read the file (missing, no permission, excluded path). */
  fileError: 'fileError',
  /** The caller aborted the exchange, for example because the pool is closing. */
  aborted: 'aborted',
} as const;

export type ClamdErrorKind = (typeof ClamdErrorKind)[keyof typeof ClamdErrorKind];

const transientKinds: ReadonlySet<ClamdErrorKind> = new Set<ClamdErrorKind>([
  ClamdErrorKind.refused,
  ClamdErrorKind.reset,
  ClamdErrorKind.closed,
  ClamdErrorKind.timeout,
  ClamdErrorKind.badReply,
  ClamdErrorKind.scanError,
]);

const reasonOfKind: Record<ClamdErrorKind, string> = {
  refused: AvReason.clamdUnavailable,
  reset: AvReason.clamdUnavailable,
  closed: AvReason.clamdUnavailable,
  timeout: AvReason.clamdTimeout,
  badReply: AvReason.clamdBadReply,
  scanError: AvReason.clamdBadReply,
  sizeLimit: AvReason.limitsExceeded,
  fileError: AvReason.clamdBadReply,
  aborted: AvReason.clamdUnavailable,
};

/** A failed exchange with one clamd. `code` is the AvReason code of the resulting verdict. */
export class ClamdError extends MailshieldError {
  override readonly name = 'ClamdError';

  constructor(
    readonly kind: ClamdErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    const isTemporary = transientKinds.has(kind) || kind === 'aborted';
    super(reasonOfKind[kind], message, GrpcStatus.UNAVAILABLE, isTemporary, options);
  }

  /**
   * True when another attempt, on this clamd or another one, may succeed. Such failures also
   * count against the endpoint's circuit breaker.
   */
  get isTransient(): boolean {
    return transientKinds.has(this.kind);
  }
}

/** Maps a socket error to a ClamdError. `isConnected` is false while the connect is pending. */
export function clamdErrorOfSocket(err: NodeJS.ErrnoException, isConnected: boolean): ClamdError {
  const code = err.code ?? '';
  if (code === 'ECONNRESET' || code === 'EPIPE')
    return new ClamdError('reset', `connection to clamd reset (${code})`, { cause: err });
  if (!isConnected)
    return new ClamdError('refused', `cannot connect to clamd: ${err.message}`, { cause: err });
  return new ClamdError('closed', `connection to clamd failed: ${err.message}`, { cause: err });
}
