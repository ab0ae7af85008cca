import type { ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from '@mailshield/common';
import type { WatchPolicyRequest } from '@mailshield/proto/config';
import type { Policy } from '@mailshield/proto/policy';
import type { ControlPlaneMetrics } from '../metrics.js';
import type { PolicyStore } from '../policy/policy-store.js';

interface Watcher {
  call: ServerWritableStream<WatchPolicyRequest, Policy>;
  component: string;
  /** Newest version written to this stream, so a stream never goes back to an older one. */
  version: number;
}

/**
 * The open Config.Watch streams. Sends every new policy version to each of them and
 * remembers which version each component was last sent.
 */
export class PolicyBroadcaster {
  private readonly watchers = new Set<Watcher>();
  private readonly appliedVersions = new Map<string, number>();
  private newestVersion = 0;

  constructor(
    private readonly store: PolicyStore,
    private readonly logger: Logger,
    private readonly metrics: ControlPlaneMetrics,
  ) {}

  /** Registers a Watch call and sends it the current policy. */
  async watch(call: ServerWritableStream<WatchPolicyRequest, Policy>): Promise<void> {
    const watcher: Watcher = { call, component: call.request.component || 'unknown', version: 0 };
    const remove = (reason: string) => {
      if (!this.watchers.delete(watcher)) return;
      this.metrics.policyWatchers.set(this.watchers.size);
      this.logger.info(
        { event: 'policy.watch_closed', component: watcher.component, reason },
        'policy watch closed',
      );
    };
    // A cancelled server stream emits 'error' with CANCELLED; without a listener the process exits.
    call.on('error', (err: Error) => remove(err.message));
    call.on('cancelled', () => remove('cancelled'));
    call.on('close', () => remove('closed'));
    this.watchers.add(watcher);
    this.metrics.policyWatchers.set(this.watchers.size);
    this.logger.info(
      { event: 'policy.watch_opened', component: watcher.component },
      'policy watch opened',
    );
    try {
      this.send(watcher, await this.store.get());
    } catch (err) {
      this.logger.error(
        { err, event: 'policy.watch_failed', component: watcher.component },
        'policy read failed',
      );
      remove('policy read failed');
      call.destroy(err as Error);
    }
  }

  /** Sends `policy` to every watcher that has an older version. */
  publish(policy: Policy): void {
    this.newestVersion = Math.max(this.newestVersion, policy.version);
    this.metrics.policyVersion.set(this.newestVersion);
    for (const watcher of this.watchers) this.send(watcher, policy);
  }

  /** Publishes the stored policy when it is newer than the last one sent, such as one set by another replica. */
  async refresh(): Promise<void> {
    const policy = await this.store.get();
    if (policy.version > this.newestVersion) this.publish(policy);
  }

  /**
   * Records the version a component reports it applied.
   * NOTE: the map is per replica and per component name, so with several control-plane
   * replicas or several pods of one component, Status shows the last report this replica got.
   */
  recordApplied(component: string, version: number): void {
    this.appliedVersions.set(component, version);
  }

  /** Policy version each component reported it runs, by component name. */
  appliedVersionsByComponent(): ReadonlyMap<string, number> {
    return this.appliedVersions;
  }

  /** Ends every open stream, for shutdown. */
  closeAll(): void {
    for (const watcher of [...this.watchers]) watcher.call.end();
    this.watchers.clear();
    this.metrics.policyWatchers.set(0);
  }

  private send(watcher: Watcher, policy: Policy): void {
    if (policy.version <= watcher.version || watcher.call.cancelled) return;
    watcher.version = policy.version;
    watcher.call.write(policy);
  }
}
