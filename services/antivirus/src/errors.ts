import { MailshieldError } from '@mailshield/common';
import { status as GrpcStatus } from '@grpc/grpc-js';

/** Stable reason codes of the antivirus, used in outcomes, findings, metrics and errors. */
export const AvReason = {
  /** clamd refused or dropped the connection. */
  clamdUnavailable: 'AV_CLAMD_UNAVAILABLE',
  /** clamd did not answer within the policy's scan timeout. */
  clamdTimeout: 'AV_CLAMD_TIMEOUT',
  /** clamd answered something that is not a verdict. */
  clamdBadReply: 'AV_CLAMD_BAD_REPLY',
  /** clamd stopped at one of its limits (Heuristics.Limits.Exceeded.*, StreamMaxLength). */
  limitsExceeded: 'AV_LIMITS_EXCEEDED',
  /** The message is larger than the policy's limits.maxMessageBytes. */
  messageTooLarge: 'AV_MESSAGE_TOO_LARGE',
  /** The message has more MIME parts than limits.maxParts. */
  tooManyParts: 'AV_TOO_MANY_PARTS',
  /** The decoded parts add up to more than limits.maxDecodedBytes. */
  decodedTooLarge: 'AV_DECODED_TOO_LARGE',
  /** MIME nesting went past limits.maxMimeDepth. */
  mimeTooDeep: 'AV_MIME_TOO_DEEP',
  /** An archive went past an expansion, member size, ratio, entry count or depth limit. */
  archiveLimit: 'AV_ARCHIVE_LIMIT',
  /** Content compressed in a way that neither the gateway nor clamd unpacks (zstd, LZMA in zip). */
  unsupportedContent: 'AV_UNSUPPORTED_CONTENT',
  /** Backup.Store failed, so no destructive action was taken. */
  backupFailed: 'AV_BACKUP_FAILED',
  /** After-queue scan could not finish; the batch is retried. */
  retryLater: 'AV_RETRY_LATER',
  /** A bus record that is not a MessageRecord. */
  recordInvalid: 'AV_RECORD_INVALID',
  /** No policy has arrived from the control plane yet. */
  policyMissing: 'AV_POLICY_MISSING',
  /** Every clamd circuit breaker is open after repeated failures, so the scan was not tried. */
  clamdCircuitOpen: 'AV_CLAMD_CIRCUIT_OPEN',
} as const;

export type AvReasonCode = (typeof AvReason)[keyof typeof AvReason];

/**
 * Reasons that come out the same on every retry: a limit of the message itself, not of
 * clamd's health. Retrying such a message would block its partition forever.
 */
export const deterministicReasons: ReadonlySet<string> = new Set([
  AvReason.limitsExceeded,
  AvReason.messageTooLarge,
  AvReason.tooManyParts,
  AvReason.decodedTooLarge,
  AvReason.mimeTooDeep,
  AvReason.archiveLimit,
  AvReason.unsupportedContent,
]);

/** The service cannot answer yet, for example before the first policy arrived. */
export class NotReadyError extends MailshieldError {
  override readonly name = 'NotReadyError';

  constructor(code: string, message: string) {
    super(code, message, GrpcStatus.UNAVAILABLE, true);
  }
}
