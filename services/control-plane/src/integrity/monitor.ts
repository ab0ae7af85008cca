import { formatHostPort, type Logger } from '@mailshield/common';
import type { ComponentStatus, DependencyStatus } from '@mailshield/proto/integrity';
import type { MonitoredComponent } from '../config.js';
import type { ControlPlaneMetrics } from '../metrics.js';
import { HealthWatch, type Health } from './health-watch.js';
import { describeKubeError, KubeClient, type PodTarget } from './kube-client.js';
import { LeaderLease, type Leadership } from './leader-lease.js';
import { Restarter, type SickInstance } from './restarter.js';
import { defaultIntegritySettings, type IntegritySettings } from './settings.js';

export type { Health } from './health-watch.js';

/** One address the monitor watches: a pod of the component, or its fixed address. */
interface Instance {
  pod: PodTarget | undefined;
  watch: HealthWatch;
  health: Health;
  detail: string;
  since: Date;
}

/** A monitored component with its instances and merged health. */
interface Tracked {
  component: MonitoredComponent;
  /** Instances by pod name, or by component name for a fixed address. */
  instances: Map<string, Instance>;
  health: Health;
  detail: string;
  checkedAt: Date | undefined;
  since: Date;
  /** Error of the last pod list, or '' after a successful one. */
  discoveryError: string;
}

export interface IntegrityMonitorOptions {
  components: MonitoredComponent[];
  /** Seconds between two rounds of pod discovery and restart decisions. */
  intervalSeconds: number;
  /** Seconds a health stream may take to send its first status. */
  timeoutSeconds: number;
  logger: Logger;
  metrics: ControlPlaneMetrics;
  /** Restart and lease settings. The default is a dry run outside Kubernetes. */
  settings?: IntegritySettings;
  /** This replica's name in the leader lease and in Events. Default "control-plane". */
  identity?: string;
}

/** Health order from worst to best, for the health of a component with several pods. */
const severity: Health[] = ['UNREACHABLE', 'NOT_SERVING', 'UNKNOWN', 'DEGRADED', 'SERVING'];

/**
 * Watches every component with grpc.health.v1 Watch streams and repairs the ones that stay
 * NOT_SERVING or UNREACHABLE. In Kubernetes it lists each component's pods by label selector
 * and watches every pod's own address, so one sick replica among several is found and only
 * that pod is deleted (or the Deployment's rollout restarted, as configured). Outside
 * Kubernetes it watches the configured address and only reports what it would do. Only the
 * holder of the leader lease restarts anything.
 */
export class IntegrityMonitor {
  private readonly tracked: Tracked[];
  private readonly settings: IntegritySettings;
  private readonly kube: KubeClient | undefined;
  private readonly lease: LeaderLease;
  private readonly restarter: Restarter;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private isStarted = false;

  constructor(private readonly options: IntegrityMonitorOptions) {
    const now = new Date();
    this.settings =
      options.settings ?? defaultIntegritySettings(options.components.map((c) => c.name));
    this.kube =
      this.settings.kubernetes === undefined
        ? undefined
        : KubeClient.fromAccess(this.settings.kubernetes);
    const identity = options.identity ?? 'control-plane';
    this.lease = new LeaderLease({
      kube: this.kube,
      settings: this.settings.lease,
      identity,
      logger: options.logger,
      metrics: options.metrics,
    });
    this.restarter = new Restarter({
      kube: this.kube,
      settings: this.settings,
      identity,
      leadership: () => this.lease.leadership(),
      logger: options.logger,
      metrics: options.metrics,
    });
    this.tracked = options.components.map((component) => ({
      component,
      instances: new Map(),
      health: 'UNKNOWN',
      detail: '',
      checkedAt: undefined,
      since: now,
      discoveryError: '',
    }));
  }

  start(): void {
    this.isStarted = true;
    this.lease.start();
    if (this.kube === undefined) {
      for (const tracked of this.tracked) {
        this.addInstance(tracked, tracked.component.name, undefined, tracked.component.address);
      }
    }
    const tick = () => {
      this.running = this.checkAll()
        .catch((err: unknown) => {
          this.options.logger.error(
            { err, event: 'integrity.round_failed' },
            `integrity round failed, retrying in ${this.options.intervalSeconds} s`,
          );
        })
        .finally(() => {
          this.running = undefined;
          if (this.isStarted) this.timer = setTimeout(tick, this.options.intervalSeconds * 1000);
        });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.isStarted = false;
    clearTimeout(this.timer);
    await this.running;
    await this.lease.stop();
    for (const tracked of this.tracked) {
      for (const instance of tracked.instances.values()) instance.watch.close();
      tracked.instances.clear();
    }
  }

  /** Runs one round: refreshes the pods in Kubernetes, then restarts what stayed unhealthy. */
  async checkAll(): Promise<void> {
    if (this.kube !== undefined) await Promise.all(this.tracked.map((t) => this.discover(t)));
    for (const tracked of this.tracked) {
      this.evaluate(tracked);
      const sick: SickInstance[] = [];
      for (const instance of tracked.instances.values()) {
        if (instance.health !== 'NOT_SERVING' && instance.health !== 'UNREACHABLE') continue;
        sick.push({
          pod: instance.pod,
          address: formatHostPort(instance.watch.address),
          health: instance.health,
          detail: instance.detail,
          since: instance.since,
        });
      }
      await this.restarter.consider(tracked.component.name, sick);
    }
  }

  /** Returns the leader of the control-plane replicas; outside Kubernetes this one leads. */
  leadership(): Leadership {
    return this.lease.leadership();
  }

  /** Returns the status of every component, with the policy version `policyVersions` gives it. */
  snapshot(policyVersions: ReadonlyMap<string, number>): ComponentStatus[] {
    return this.tracked.map((tracked) => {
      const restart = this.restarter.state(tracked.component.name);
      return {
        name: tracked.component.name,
        address: formatHostPort(tracked.component.address),
        health: tracked.health,
        detail: tracked.detail,
        checkedAt: tracked.checkedAt,
        since: tracked.since,
        policyVersion: policyVersions.get(tracked.component.name) ?? 0,
        dependencies: this.dependencies(tracked),
        policyLagging: false,
        restartsInWindow: restart.restartsInWindow,
        lastRestartAt: restart.lastRestartAt,
        lastAction: restart.lastAction,
        restartsAreDryRun: restart.restartsAreDryRun,
      };
    });
  }

  /** Lists the component's pods and watches new ones; pods that are gone are no longer watched. */
  private async discover(tracked: Tracked): Promise<void> {
    const repair = this.settings.repairs[tracked.component.name];
    const selector = repair?.podSelector ?? `app.kubernetes.io/component=${tracked.component.name}`;
    let pods: PodTarget[];
    try {
      pods = await this.kube!.listPods(selector);
    } catch (err) {
      const message = `listing pods with selector ${selector} failed: ${describeKubeError(err)}`;
      if (message !== tracked.discoveryError)
        this.options.logger.warn(
          { err, event: 'integrity.pod_list_failed', component: tracked.component.name },
          message,
        );
      tracked.discoveryError = message;
      return;
    }
    // NOTE: a component with no running pod shows as UNREACHABLE but is never restarted,
    // because there is no pod to delete. Its controller or a person has to bring it back.
    tracked.discoveryError = pods.length === 0 ? `no running pod matches ${selector}` : '';
    const seen = new Set<string>();
    for (const pod of pods) {
      seen.add(pod.name);
      const existing = tracked.instances.get(pod.name);
      if (existing !== undefined && existing.pod?.ip === pod.ip) continue;
      existing?.watch.close();
      const address = { host: pod.ip, port: tracked.component.address.port };
      this.addInstance(tracked, pod.name, pod, address);
    }
    for (const [name, instance] of tracked.instances) {
      if (seen.has(name)) continue;
      instance.watch.close();
      tracked.instances.delete(name);
    }
  }

  private addInstance(
    tracked: Tracked,
    key: string,
    pod: PodTarget | undefined,
    address: MonitoredComponent['address'],
  ): void {
    const instance: Instance = {
      pod,
      health: 'UNKNOWN',
      detail: '',
      since: new Date(),
      watch: new HealthWatch({
        address,
        timeoutSeconds: this.options.timeoutSeconds,
        maxBackoffSeconds: Math.max(1, this.options.intervalSeconds),
        onChange: () => this.onInstanceChange(tracked, key),
      }),
    };
    tracked.instances.set(key, instance);
    instance.watch.start();
  }

  private onInstanceChange(tracked: Tracked, key: string): void {
    const instance = tracked.instances.get(key);
    if (instance === undefined) return;
    const { health, detail } = instance.watch.health();
    const component = tracked.component.name;
    if (health !== instance.health) {
      const level = health === 'SERVING' ? 'info' : 'warn';
      this.options.logger[level](
        {
          event: 'integrity.health_changed',
          component,
          pod: instance.pod?.name,
          address: formatHostPort(instance.watch.address),
          from: instance.health,
          to: health,
          detail,
        },
        'component health changed',
      );
      instance.since = new Date();
      instance.health = health;
      this.options.metrics.healthChecks.inc({ component, result: health.toLowerCase() });
    }
    instance.detail = detail;
    tracked.checkedAt = new Date();
    this.evaluate(tracked);
  }

  /** Sets the component's health to the worst of its instances and updates its metrics. */
  private evaluate(tracked: Tracked): void {
    const instances = [...tracked.instances.values()];
    let health: Health = 'UNKNOWN';
    let detail = tracked.discoveryError;
    if (instances.length > 0) {
      health = instances
        .map((instance) => instance.health)
        .reduce((worst, next) => (severity.indexOf(next) < severity.indexOf(worst) ? next : worst));
      detail = describeInstances(tracked, instances);
    } else if (tracked.discoveryError !== '') {
      health = 'UNREACHABLE';
    }
    if (health !== tracked.health) tracked.since = new Date();
    tracked.health = health;
    tracked.detail = detail;
    const name = tracked.component.name;
    const isUp = health === 'SERVING' || health === 'DEGRADED';
    this.options.metrics.componentUp.set({ component: name }, isUp ? 1 : 0);
    for (const dependency of this.dependencies(tracked)) {
      this.options.metrics.dependencyUp.set(
        { component: name, dependency: dependency.name },
        dependency.health === 'SERVING' ? 1 : 0,
      );
    }
  }

  /** Merges the dependencies of all instances, keeping the first report that is not SERVING. */
  private dependencies(tracked: Tracked): DependencyStatus[] {
    const byName = new Map<string, DependencyStatus>();
    for (const [key, instance] of tracked.instances) {
      for (const dependency of instance.watch.dependencies()) {
        const known = byName.get(dependency.name);
        if (known !== undefined && known.health !== 'SERVING') continue;
        const isShared = instance.pod === undefined;
        byName.set(dependency.name, {
          ...dependency,
          detail: dependency.health === 'SERVING' || isShared ? '' : `reported by ${key}`,
        });
      }
    }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

/** Describes a component: its own detail at a fixed address, else its pods that do not serve. */
function describeInstances(tracked: Tracked, instances: Instance[]): string {
  if (instances.length === 1 && instances[0]!.pod === undefined) return instances[0]!.detail;
  const unwell = instances.filter((instance) => instance.health !== 'SERVING');
  const parts = unwell.map(
    (instance) =>
      `pod ${instance.pod?.name ?? tracked.component.name} ${instance.health}` +
      (instance.detail === '' ? '' : `: ${instance.detail}`),
  );
  const serving = instances.length - unwell.length;
  return [`${serving}/${instances.length} pods serving`, ...parts].join('; ');
}
