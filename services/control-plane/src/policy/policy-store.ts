import type { Policy } from '@mailshield/proto/policy';
import {
  policyRollbackCurrent,
  policyVersionNotFound,
  PolicyVersionConflictError,
} from '../errors.js';
import { validatePolicy } from './validate.js';

/** One stored version of the policy, for the audit trail. */
export interface PolicyVersion {
  policy: Policy;
  /** Who stored it; "seed" for the policy a fresh store starts with. */
  actor: string;
  storedAt: Date;
}

/**
 * The current policy and every earlier version (append-only). Versions start at 1 and grow
 * by one with every `set`.
 */
export interface PolicyStore {
  /** Creates the storage when missing and stores `seed` as version 1 when there is no policy yet. */
  open(seed: Policy): Promise<void>;
  /** Returns the current policy. */
  get(): Promise<Policy>;
  /**
   * Validates and stores `policy` as the next version and returns it with that version.
   * Throws InvalidArgumentError for an invalid policy, and PolicyVersionConflictError when
   * `expectedVersion` is not 0 and not the current version.
   */
  set(policy: Policy, expectedVersion: number, actor: string): Promise<Policy>;
  /** The newest versions first, at most `limit`. */
  history(limit: number): Promise<PolicyVersion[]>;
  /** Returns one stored version, or undefined when there is no such version. */
  version(version: number): Promise<PolicyVersion | undefined>;
  close(): Promise<void>;
}

/** Checks a set request against the current version and returns the policy to store. */
export function prepareNextVersion(
  policy: Policy,
  expectedVersion: number,
  currentVersion: number,
): Policy {
  const valid = validatePolicy(policy);
  if (expectedVersion !== 0 && expectedVersion !== currentVersion) {
    throw new PolicyVersionConflictError(expectedVersion, currentVersion);
  }
  return { ...valid, version: currentVersion + 1 };
}

/**
 * Stores the content of version `toVersion` as the next version, so history stays append-only.
 * Throws NotFoundError (CP_POLICY_VERSION_NOT_FOUND) for an unknown version, FAILED_PRECONDITION
 * (CP_POLICY_ROLLBACK_CURRENT) for the current version, and otherwise fails like `set`: the old
 * content is validated under the current rules.
 */
export async function rollbackPolicy(
  store: PolicyStore,
  toVersion: number,
  expectedVersion: number,
  actor: string,
): Promise<Policy> {
  const current = await store.get();
  if (current.version === toVersion) throw policyRollbackCurrent(toVersion);
  const target = await store.version(toVersion);
  if (target === undefined) throw policyVersionNotFound(toVersion);
  return store.set(target.policy, expectedVersion, actor);
}
