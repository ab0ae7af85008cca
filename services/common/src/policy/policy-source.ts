import { EventEmitter } from 'node:events';
import type { Policy } from '@mailshield/proto/policy';

/**
 * Source of the policy in force: a started PolicyWatcher in a service, a StaticPolicySource in
 * tests. A source emits `change` with each new policy.
 */
export interface PolicySource {
  /** Returns the policy in force. A PolicyWatcher throws before the first one arrived. */
  current(): Policy;
  on(event: 'change', listener: (policy: Policy) => void): unknown;
  off(event: 'change', listener: (policy: Policy) => void): unknown;
}

/** A policy set by code: `set` replaces it and emits `change`, as a control-plane update would. */
export class StaticPolicySource extends EventEmitter<{ change: [Policy] }> implements PolicySource {
  constructor(private policy: Policy) {
    super();
  }

  current(): Policy {
    return this.policy;
  }

  set(policy: Policy): void {
    this.policy = policy;
    this.emit('change', policy);
  }
}
