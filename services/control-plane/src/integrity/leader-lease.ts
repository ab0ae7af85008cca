import type { Logger } from '@mailshield/common';
import type { ControlPlaneMetrics } from '../metrics.js';
import { describeKubeError, type KubeClient, type LeaseRecord } from './kube-client.js';
import type { LeaseSettings } from './settings.js';

export interface LeaderLeaseOptions {
  /** Undefined outside Kubernetes: this replica is then always the leader. */
  kube: KubeClient | undefined;
  settings: LeaseSettings;
  /** This replica's name in the lease, such as the pod name. */
  identity: string;
  logger: Logger;
  metrics: ControlPlaneMetrics;
}

/** Leader of the control-plane replicas, as last read by this replica. */
export interface Leadership {
  isLeader: boolean;
  /** Identity of the holder, or '' when the lease is free or not read yet. */
  holderIdentity: string;
}

/**
 * Leader election over a coordination.k8s.io/v1 Lease, in the manner of client-go's
 * leaderelection. The holder renews `renewTime` every `renewSeconds`. Another replica takes
 * the lease over once it has seen no change to it for `durationSeconds` by its own clock, so
 * clocks that disagree do not matter. Updates carry the resourceVersion they read, so of two
 * replicas racing for the lease only one wins. The holder stops acting once its last
 * successful renewal is older than 80% of the duration, before any other replica may take over.
 */
export class LeaderLease {
  private holderIdentity = '';
  /** Local time until which this replica may act as leader. */
  private leaderUntil = 0;
  private observedVersion = '';
  private observedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private isStopped = false;
  private wasLeader = false;
  private lastError = '';

  constructor(private readonly options: LeaderLeaseOptions) {}

  /** Returns the current leadership. Outside Kubernetes this replica always leads. */
  leadership(): Leadership {
    if (this.options.kube === undefined)
      return { isLeader: true, holderIdentity: this.options.identity };
    return { isLeader: this.isLeader(), holderIdentity: this.holderIdentity };
  }

  isLeader(): boolean {
    if (this.options.kube === undefined) return true;
    return Date.now() < this.leaderUntil;
  }

  start(): void {
    if (this.options.kube === undefined) {
      this.options.metrics.leader.set(1);
      return;
    }
    const tick = () => {
      this.running = this.tryAcquireOrRenew().finally(() => {
        this.running = undefined;
        if (!this.isStopped)
          this.timer = setTimeout(tick, this.options.settings.renewSeconds * 1000);
      });
    };
    tick();
  }

  /** Stops renewing and, when holding the lease, releases it so another replica takes over at once. */
  async stop(): Promise<void> {
    this.isStopped = true;
    clearTimeout(this.timer);
    await this.running;
    const kube = this.options.kube;
    if (kube === undefined || !this.isLeader()) return;
    this.leaderUntil = 0;
    this.report();
    const { name } = this.options.settings;
    try {
      const lease = await kube.readLease(name);
      if (lease?.holderIdentity !== this.options.identity) return;
      const released = await kube.replaceLease(name, {
        ...lease,
        holderIdentity: '',
        renewTime: new Date(),
      });
      if (released)
        this.options.logger.info(
          { event: 'integrity.lease_released', lease: name, identity: this.options.identity },
          'released the leader lease',
        );
    } catch (err) {
      this.options.logger.warn(
        { err, event: 'integrity.lease_release_failed', lease: name },
        'releasing the leader lease failed, so another replica takes it over once it expires',
      );
    }
  }

  /** Runs one round: creates, renews or takes over the lease, or records its current holder. */
  async tryAcquireOrRenew(): Promise<void> {
    const kube = this.options.kube;
    if (kube === undefined) return;
    const { name, durationSeconds } = this.options.settings;
    const identity = this.options.identity;
    const startedAt = Date.now();
    try {
      const lease = await kube.readLease(name);
      let hasLease: boolean;
      if (lease === undefined) {
        hasLease = await kube.createLease(name, {
          holderIdentity: identity,
          leaseDurationSeconds: Math.ceil(durationSeconds),
          acquireTime: new Date(startedAt),
          renewTime: new Date(startedAt),
          leaseTransitions: 0,
        });
      } else {
        this.observe(lease, startedAt);
        hasLease = await this.renewOrTakeOver(kube, lease, startedAt);
      }
      if (hasLease) {
        this.leaderUntil = startedAt + durationSeconds * 1000 * 0.8;
        this.holderIdentity = identity;
      } else {
        this.leaderUntil = 0;
      }
      this.lastError = '';
    } catch (err) {
      const message = describeKubeError(err);
      if (message !== this.lastError)
        this.options.logger.warn(
          { err, event: 'integrity.lease_failed', lease: name },
          `reading or renewing the leader lease failed, retrying in ${this.options.settings.renewSeconds} s`,
        );
      this.lastError = message;
    }
    this.report();
  }

  private async renewOrTakeOver(
    kube: KubeClient,
    lease: LeaseRecord,
    now: number,
  ): Promise<boolean> {
    const { name, durationSeconds } = this.options.settings;
    const identity = this.options.identity;
    if (lease.holderIdentity === identity) {
      return kube.replaceLease(name, { ...lease, renewTime: new Date(now) });
    }
    const isFree = lease.holderIdentity === '';
    const isExpired = now >= this.observedAt + durationSeconds * 1000;
    if (!isFree && !isExpired) {
      this.holderIdentity = lease.holderIdentity;
      return false;
    }
    const isTaken = await kube.replaceLease(name, {
      ...lease,
      holderIdentity: identity,
      leaseDurationSeconds: Math.ceil(durationSeconds),
      acquireTime: new Date(now),
      renewTime: new Date(now),
      leaseTransitions: lease.leaseTransitions + 1,
    });
    if (isTaken)
      this.options.logger.warn(
        { event: 'integrity.lease_taken_over', lease: name, previous: lease.holderIdentity },
        isFree ? 'took the free leader lease' : 'took over the expired leader lease',
      );
    return isTaken;
  }

  /** Notes when the lease last changed, by this replica's clock. */
  private observe(lease: LeaseRecord, now: number): void {
    if (lease.resourceVersion === this.observedVersion) return;
    this.observedVersion = lease.resourceVersion;
    this.observedAt = now;
    this.holderIdentity = lease.holderIdentity;
  }

  private report(): void {
    const isLeader = this.isLeader();
    this.options.metrics.leader.set(isLeader ? 1 : 0);
    if (isLeader === this.wasLeader) return;
    this.wasLeader = isLeader;
    const fields = {
      event: isLeader ? 'integrity.leader_acquired' : 'integrity.leader_lost',
      lease: this.options.settings.name,
      identity: this.options.identity,
    };
    if (isLeader) this.options.logger.info(fields, 'this replica leads the integrity monitor');
    else this.options.logger.warn(fields, 'this replica no longer leads the integrity monitor');
  }
}
