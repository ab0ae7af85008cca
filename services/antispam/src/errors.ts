import { InvalidArgumentError, UnavailableError } from '@mailshield/common';

/** Stable reason codes of the antispam stage, used in outcomes, metrics and gRPC errors. */
export const AntispamReason = {
  /** The message could not be parsed as RFC 5322 / MIME, so no rule ran. */
  parseFailed: 'AS_PARSE_FAILED',
  /** A check threw; the other checks still scored the message. */
  checkFailed: 'AS_CHECK_FAILED',
  /** Backup.Store failed before a reject, delete or hold; the batch is retried. */
  backupFailed: 'AS_BACKUP_FAILED',
  /** A bus record did not decode as a MessageRecord and was dropped. */
  recordInvalid: 'AS_RECORD_INVALID',
  /** Publishing the verdicts failed; the batch is retried. */
  publishFailed: 'AS_PUBLISH_FAILED',
  /** A ScoreMessage request was invalid. */
  invalidRequest: 'AS_INVALID_REQUEST',
  /** No policy has arrived from the control plane yet. */
  noPolicy: 'AS_NO_POLICY',
  /** A Bayes snapshot was malformed or made by another token scheme, so it was not loaded. */
  bayesSnapshotInvalid: 'AS_BAYES_SNAPSHOT_INVALID',
  /** A Train request was invalid, or its message could not be parsed. */
  trainInvalid: 'AS_TRAIN_INVALID',
  /** The control plane's Learning service failed or could not be reached. */
  learningUnavailable: 'AS_LEARNING_UNAVAILABLE',
} as const;

export type AntispamReasonCode = (typeof AntispamReason)[keyof typeof AntispamReason];

/** Thrown when the original record could not be stored in Backup before a destructive action. */
export class BackupFailedError extends UnavailableError {
  constructor(messageId: string, cause: unknown) {
    super(
      AntispamReason.backupFailed,
      `Backup.Store failed for message ${messageId}: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
  }
}

/** Thrown by ScoreMessage for a request it cannot score. */
export class InvalidScoreRequestError extends InvalidArgumentError {
  constructor(message: string, fieldErrors: string[]) {
    super(AntispamReason.invalidRequest, message, fieldErrors);
  }
}

/** Thrown when a Bayes snapshot cannot be loaded or merged; the model stays as it was. */
export class BayesSnapshotError extends InvalidArgumentError {
  constructor(message: string, fieldErrors: string[] = []) {
    super(AntispamReason.bayesSnapshotInvalid, message, fieldErrors);
  }
}

/** Thrown by Train for a request it cannot learn from. */
export class InvalidTrainRequestError extends InvalidArgumentError {
  constructor(message: string, fieldErrors: string[]) {
    super(AntispamReason.trainInvalid, message, fieldErrors);
  }
}
