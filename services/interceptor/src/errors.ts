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
 * | INTERCEPTOR_NEXT_HOP_REJECTED       | the next hop replied 5xx; the message is recorded as bounced   |
 * | INTERCEPTOR_TEMPFAIL_AFTER_QUEUE    | an after-queue verdict said TEMPFAIL, which stages must retry  |
 * | INTERCEPTOR_UNDECODABLE_RECORD      | a verdict-topic record is not a MessageRecord; it is skipped   |
 * | INTERCEPTOR_INVALID_TRUSTED_NETWORK | a trusted network of the policy is not a valid CIDR; ignored   |
 */
export const InterceptorErrorCode = {
  publishFailed: 'INTERCEPTOR_PUBLISH_FAILED',
  verdictTimeout: 'INTERCEPTOR_VERDICT_TIMEOUT',
  nextHopUnavailable: 'INTERCEPTOR_NEXT_HOP_UNAVAILABLE',
  nextHopDeferred: 'INTERCEPTOR_NEXT_HOP_DEFERRED',
  nextHopRejected: 'INTERCEPTOR_NEXT_HOP_REJECTED',
  tempfailAfterQueue: 'INTERCEPTOR_TEMPFAIL_AFTER_QUEUE',
  undecodableRecord: 'INTERCEPTOR_UNDECODABLE_RECORD',
  invalidTrustedNetwork: 'INTERCEPTOR_INVALID_TRUSTED_NETWORK',
} as const;

/** The next hop is down or deferred the message; the delivery batch is offered again later. */
export class NextHopUnavailableError extends UnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(InterceptorErrorCode.nextHopUnavailable, message, options);
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
