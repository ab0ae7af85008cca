import { status as GrpcStatus } from '@grpc/grpc-js';
import { MailshieldError, UnavailableError } from '@mailshield/common';

/**
 * Error codes of the interceptor. Codes are stable and never reused once retired.
 *
 * | code                                | meaning                                                        |
 * | ----------------------------------- | -------------------------------------------------------------- |
 * | INTERCEPTOR_PUBLISH_FAILED          | an accepted message could not be written to the bus            |
 * | INTERCEPTOR_VERDICT_TIMEOUT         | a before-queue session got no verdict in time and replied 451  |
 * | INTERCEPTOR_NEXT_HOP_UNAVAILABLE    | the next hop could not be reached; delivery retries            |
 * | INTERCEPTOR_NEXT_HOP_DEFERRED       | the next hop replied 4xx to some recipients; delivery retries  |
 * | INTERCEPTOR_NEXT_HOP_REJECTED       | the next hop replied 5xx; the message is stored in Backup      |
 * | INTERCEPTOR_DELIVERY_EXPIRED        | recipients stayed deferred past the maximum age; into Backup   |
 * | INTERCEPTOR_BACKUP_FAILED           | Backup.Store failed; the record is offered again               |
 * | INTERCEPTOR_RETRY_PUBLISH_FAILED    | a delivery-retry record was not written; offered again         |
 * | INTERCEPTOR_TEMPFAIL_AFTER_QUEUE    | an after-queue verdict said TEMPFAIL, which stages must retry  |
 * | INTERCEPTOR_UNDECODABLE_RECORD      | a verdict-topic record is not a MessageRecord; it is skipped   |
 * | INTERCEPTOR_INVALID_TRUSTED_NETWORK | a trusted network of the policy is not a valid CIDR; ignored   |
 * | INTERCEPTOR_CANARY_INVALID          | a Canary.Inject request named no kind or a bad deadline        |
 * | INTERCEPTOR_CANARY_BUSY             | too many canaries wait for verdicts; Canary.Inject rejected    |
 */
export const InterceptorErrorCode = {
  publishFailed: 'INTERCEPTOR_PUBLISH_FAILED',
  verdictTimeout: 'INTERCEPTOR_VERDICT_TIMEOUT',
  nextHopUnavailable: 'INTERCEPTOR_NEXT_HOP_UNAVAILABLE',
  nextHopDeferred: 'INTERCEPTOR_NEXT_HOP_DEFERRED',
  nextHopRejected: 'INTERCEPTOR_NEXT_HOP_REJECTED',
  deliveryExpired: 'INTERCEPTOR_DELIVERY_EXPIRED',
  backupFailed: 'INTERCEPTOR_BACKUP_FAILED',
  retryPublishFailed: 'INTERCEPTOR_RETRY_PUBLISH_FAILED',
  tempfailAfterQueue: 'INTERCEPTOR_TEMPFAIL_AFTER_QUEUE',
  undecodableRecord: 'INTERCEPTOR_UNDECODABLE_RECORD',
  invalidTrustedNetwork: 'INTERCEPTOR_INVALID_TRUSTED_NETWORK',
  canaryInvalid: 'INTERCEPTOR_CANARY_INVALID',
  canaryBusy: 'INTERCEPTOR_CANARY_BUSY',
} as const;

/** Backup.Store failed, so a bounced or expired message cannot be let go yet. */
export class BackupFailedError extends UnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(InterceptorErrorCode.backupFailed, message, options);
  }
}

/** The copy of a deferred message could not be written to the delivery-retry topic. */
export class RetryPublishFailedError extends UnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(InterceptorErrorCode.retryPublishFailed, message, options);
  }
}

/** Canary.Inject was called while the maximum number of canaries wait for their verdicts. */
export class CanaryBusyError extends MailshieldError {
  override readonly name = 'CanaryBusyError';

  constructor(limit: number) {
    super(
      InterceptorErrorCode.canaryBusy,
      `${limit} canaries already wait for their verdicts; retry after one finishes`,
      GrpcStatus.RESOURCE_EXHAUSTED,
      true,
    );
  }
}

/** A verdict that cannot be acted on yet; thrown so the bus offers the record again. */
export class TempfailAfterQueueError extends MailshieldError {
  constructor(messageId: string) {
    super(
      InterceptorErrorCode.tempfailAfterQueue,
      `after-queue message ${messageId} reached delivery with disposition TEMPFAIL; a stage should have retried it`,
    );
  }
}

/**
 * An SMTP reply for smtp-server: `responseCode` is the reply code and the message starts with
 * the enhanced status code, such as `550` and `5.7.1 Relaying denied for <example.net>`.
 */
export class SmtpReplyError extends Error {
  override readonly name = 'SmtpReplyError';

  constructor(
    readonly responseCode: number,
    text: string,
  ) {
    super(text);
  }
}
