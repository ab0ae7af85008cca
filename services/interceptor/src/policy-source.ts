import { EventEmitter } from 'node:events';
import type { Policy } from '@mailshield/proto/policy';

/**
 * Source of the interceptor's policy: the control plane's `PolicyWatcher` in production, a
 * `StaticPolicySource` in tests. `current()` must not throw once the interceptor has started.
 */
export interface PolicySource {
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
