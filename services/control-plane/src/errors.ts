import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  InvalidArgumentError,
  MailshieldError,
  NotFoundError,
  UnavailableError,
} from '@mailshield/common';

/** Stable error codes of the control plane; a retired code is never reused. */
export const ErrorCodes = {
  policyInvalid: 'CP_POLICY_INVALID',
  policyVersionConflict: 'CP_POLICY_VERSION_CONFLICT',
  policyVersionNotFound: 'CP_POLICY_VERSION_NOT_FOUND',
  /** History, Rollback or ReportApplied request with a field out of range. */
  policyRequestInvalid: 'CP_POLICY_REQUEST_INVALID',
  backupInvalid: 'CP_BACKUP_INVALID',
  backupNotFound: 'CP_BACKUP_NOT_FOUND',
  pageTokenInvalid: 'CP_PAGE_TOKEN_INVALID',
  releaseInvalid: 'CP_RELEASE_INVALID',
  releasePublishFailed: 'CP_RELEASE_PUBLISH_FAILED',
  storeCorrupt: 'CP_STORE_CORRUPT',
  /** Sealed Backup body that fails its check or needs a key that is not configured. */
  backupUnreadable: 'CP_BACKUP_UNREADABLE',
  learnInvalid: 'CP_LEARN_INVALID',
  /** Release as not spam whose teaching of the antispam failed, so nothing was released. */
  learnUnavailable: 'CP_LEARN_UNAVAILABLE',
  selfTestInvalid: 'CP_SELF_TEST_INVALID',
  /** Integrity.SelfTest call on a control plane built without the self-test. */
  selfTestUnavailable: 'CP_SELF_TEST_UNAVAILABLE',
  /** Actor name with control or format characters, or longer than the maximum. */
  actorInvalid: 'CP_ACTOR_INVALID',
  /** Rollback request for the version that is already current. */
  policyRollbackCurrent: 'CP_POLICY_ROLLBACK_CURRENT',
} as const;

export function policyInvalid(fieldErrors: string[]): InvalidArgumentError {
  return new InvalidArgumentError(
    ErrorCodes.policyInvalid,
    `policy is invalid: ${fieldErrors.join('; ')}`,
    fieldErrors,
  );
}

/** Set was called with an expected version that is no longer the current one. */
export class PolicyVersionConflictError extends MailshieldError {
  override readonly name = 'PolicyVersionConflictError';

  constructor(
    readonly expectedVersion: number,
    readonly currentVersion: number,
  ) {
    super(
      ErrorCodes.policyVersionConflict,
      `policy version ${expectedVersion} is not current (current is ${currentVersion}); ` +
        'get the policy again and reapply the change',
      GrpcStatus.ABORTED,
      false,
    );
  }
}

export function policyVersionNotFound(version: number): NotFoundError {
  return new NotFoundError(
    ErrorCodes.policyVersionNotFound,
    `policy version ${version} not found; "mailshieldctl policy history" lists the stored versions`,
  );
}

/** Maximum length of the requested id that a NOT_FOUND message repeats, in characters. */
const maxIdInMessage = 100;

export function backupNotFound(id: string): NotFoundError {
  const shown =
    id.length <= maxIdInMessage
      ? JSON.stringify(id)
      : `${JSON.stringify(id.slice(0, maxIdInMessage))}… (${id.length} characters)`;
  return new NotFoundError(ErrorCodes.backupNotFound, `backup ${shown} not found`);
}

export function backupInvalid(fieldErrors: string[]): InvalidArgumentError {
  return new InvalidArgumentError(
    ErrorCodes.backupInvalid,
    `backup request is invalid: ${fieldErrors.join('; ')}`,
    fieldErrors,
  );
}

export function pageTokenInvalid(): InvalidArgumentError {
  return new InvalidArgumentError(
    ErrorCodes.pageTokenInvalid,
    'page_token is invalid: pass the next_page_token of a previous List response unchanged',
    ['page_token: not a token returned by List'],
  );
}

export function releasePublishFailed(id: string, cause: unknown): UnavailableError {
  return new UnavailableError(
    ErrorCodes.releasePublishFailed,
    `backup ${JSON.stringify(id)} could not be published for delivery; it stays unreleased, retry later`,
    { cause },
  );
}

/** A stored file or row cannot be read back: a fault on our side that needs a person. */
export class StoreCorruptError extends MailshieldError {
  override readonly name = 'StoreCorruptError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.storeCorrupt, message, GrpcStatus.DATA_LOSS, false, options);
  }
}

/** A sealed Backup body cannot be opened because of a wrong key or changed bytes. Not retried. */
export class BackupUnreadableError extends MailshieldError {
  override readonly name = 'BackupUnreadableError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.backupUnreadable, message, GrpcStatus.DATA_LOSS, false, options);
  }
}

export function backupUnreadable(message: string, cause?: unknown): BackupUnreadableError {
  return new BackupUnreadableError(message, cause === undefined ? undefined : { cause });
}

export function actorInvalid(fieldError: string): InvalidArgumentError {
  return new InvalidArgumentError(ErrorCodes.actorInvalid, `actor is invalid: ${fieldError}`, [
    fieldError,
  ]);
}

/** Rollback to the current version would store an identical version. */
export function policyRollbackCurrent(version: number): MailshieldError {
  return new MailshieldError(
    ErrorCodes.policyRollbackCurrent,
    `policy version ${version} is already the current version; ` +
      'name an earlier version that "mailshieldctl policy history" lists',
    GrpcStatus.FAILED_PRECONDITION,
    false,
  );
}

export function selfTestInvalid(fieldError: string): InvalidArgumentError {
  return new InvalidArgumentError(
    ErrorCodes.selfTestInvalid,
    `self-test request is invalid: ${fieldError}`,
    [fieldError],
  );
}
