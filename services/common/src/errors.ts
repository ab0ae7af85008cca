import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * Base of every mailshield error. The `code` is stable (UPPER_SNAKE, prefixed by area) and
 * never reused once retired; edges translate it to a gRPC status or an SMTP reply.
 */
export class MailshieldError extends Error {
  override readonly name: string = 'MailshieldError';

  constructor(
    /** Stable machine-readable code, such as `AV_CLAMD_TIMEOUT`. */
    readonly code: string,
    message: string,
    /** gRPC status the gRPC adapter replies with. */
    readonly grpcStatus: GrpcStatus = GrpcStatus.INTERNAL,
    /** True when a retry may succeed: SMTP replies 4xx for these, 5xx otherwise. */
    readonly isTemporary = true,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Invalid input from a caller: a bad policy, a malformed request. */
export class InvalidArgumentError extends MailshieldError {
  override readonly name = 'InvalidArgumentError';

  constructor(
    code: string,
    message: string,
    /** One entry per invalid field, as `field: problem`. */
    readonly fieldErrors: string[] = [],
  ) {
    super(code, message, GrpcStatus.INVALID_ARGUMENT, false);
  }
}

/** A requested object does not exist. */
export class NotFoundError extends MailshieldError {
  override readonly name = 'NotFoundError';

  constructor(code: string, message: string) {
    super(code, message, GrpcStatus.NOT_FOUND, false);
  }
}

/** A dependency (clamd, Kafka, the control plane, the next hop) failed or timed out. */
export class UnavailableError extends MailshieldError {
  override readonly name = 'UnavailableError';

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, GrpcStatus.UNAVAILABLE, true, options);
  }
}

/** Startup configuration is invalid; the message lists every problem found. */
export class ConfigError extends MailshieldError {
  override readonly name = 'ConfigError';

  constructor(readonly problems: string[]) {
    super(
      'CONFIG_INVALID',
      `invalid configuration:\n  ${problems.join('\n  ')}`,
      GrpcStatus.INTERNAL,
      false,
    );
  }
}

/** Longest wait a timer can take: Node fires a longer `setTimeout` at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Thrown by a bus batch handler whose records are not due yet. Every bus then commits
 * nothing, logs no failure, waits `delayMs` (a Kafka consumer keeps heartbeating meanwhile)
 * and offers the same records again, so records that were already handled in the batch come
 * again too.
 */
export class RetryLaterError extends MailshieldError {
  override readonly name = 'RetryLaterError';
  /** Wait before the records are offered again, in ms, clamped to what a timer can take. */
  readonly delayMs: number;

  constructor(delayMs: number, message = `records not due yet; offered again in ${delayMs} ms`) {
    super('BUS_RETRY_LATER', message, GrpcStatus.UNAVAILABLE, true);
    this.delayMs = Number.isFinite(delayMs) ? Math.min(Math.max(0, delayMs), MAX_TIMER_MS) : 0;
  }
}
