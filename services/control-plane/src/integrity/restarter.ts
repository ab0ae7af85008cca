import type { Logger } from '@mailshield/common';
import type { ControlPlaneMetrics } from '../metrics.js';
import type { Health } from './health-watch.js';
import {
  describeKubeError,
  type EventSubject,
  type KubeClient,
  type PodTarget,
} from './kube-client.js';
import type { Leadership } from './leader-lease.js';
import type { ComponentRepair, IntegritySettings } from './settings.js';

/** An instance of a component that is NOT_SERVING or UNREACHABLE. */
export interface SickInstance {
  /** The pod in Kubernetes; undefined for a component at a fixed address. */
  pod: PodTarget | undefined;
  address: string;
  health: Health;
  detail: string;
  since: Date;
}

/** Restart record of one component, for the status. */
export interface RestartState {
  restartsInWindow: number;
  lastRestartAt: Date | undefined;
  lastAction: string;
  /** True outside Kubernetes: the restarts were only reported, none was made. */
  restartsAreDryRun: boolean;
}

export interface RestarterOptions {
  /** Undefined outside Kubernetes: restarts are then only reported, as a dry run. */
  kube: KubeClient | undefined;
  settings: IntegritySettings;
  /** This replica's name, recorded in Kubernetes Events. */
  identity: string;
  leadership: () => Leadership;
  logger: Logger;
  metrics: ControlPlaneMetrics;
}

interface ComponentEntry {
  /** Times of the restarts in the current window, oldest first. */
  restarts: number[];
  backoffMs: number;
  nextAllowedAt: number;
  lastAction: string;
  isCapped: boolean;
}

/**
 * Restarts components that stay unhealthy through the Kubernetes API: deletes the sick pod so
 * its controller replaces it, or restarts the Deployment's rollout, as configured per
 * component. Only the lease holder acts. After each restart, the next one of the same
 * component waits a backoff that doubles up to a maximum. The backoff starts over once a
 * window passes without a restart, and at most `restartMaxPerWindow` restarts happen in any
 * window.
 */
export class Restarter {
  private readonly entries = new Map<string, ComponentEntry>();

  constructor(private readonly options: RestarterOptions) {}

  state(component: string): RestartState {
    const entry = this.entries.get(component);
    const restartsAreDryRun = this.options.kube === undefined;
    if (entry === undefined)
      return { restartsInWindow: 0, lastRestartAt: undefined, lastAction: '', restartsAreDryRun };
    this.prune(entry, Date.now());
    const last = entry.restarts.at(-1);
    return {
      restartsInWindow: entry.restarts.length,
      lastRestartAt: last === undefined ? undefined : new Date(last),
      lastAction: entry.lastAction,
      restartsAreDryRun,
    };
  }

  /** Restarts `component` when one of its sick instances has been sick past the threshold. */
  async consider(component: string, sick: SickInstance[]): Promise<void> {
    const { settings } = this.options;
    const now = Date.now();
    const entry = this.entry(component);
    this.prune(entry, now);
    const due = sick
      .filter((instance) => now - instance.since.getTime() >= settings.restartAfterSeconds * 1000)
      .sort((a, b) => a.since.getTime() - b.since.getTime());
    const target = due[0];
    if (target === undefined) {
      entry.isCapped = false;
      return;
    }
    const repair = settings.repairs[component];
    if (repair === undefined || repair.mode === 'off') {
      entry.lastAction = `restarts are off; ${describeSickness(target, now)}`;
      return;
    }
    const leadership = this.options.leadership();
    if (!leadership.isLeader) {
      const holder = leadership.holderIdentity === '' ? 'no replica' : leadership.holderIdentity;
      entry.lastAction = `not restarting: ${holder} holds the leader lease`;
      return;
    }
    if (now < entry.nextAllowedAt) return;
    if (entry.restarts.length >= settings.restartMaxPerWindow) {
      this.cap(component, entry, now);
      return;
    }
    await this.restart(component, repair, target, entry, now);
  }

  private async restart(
    component: string,
    repair: ComponentRepair,
    target: SickInstance,
    entry: ComponentEntry,
    now: number,
  ): Promise<void> {
    const kube = this.options.kube;
    const isPodDelete = repair.mode === 'delete-pod';
    const action = isPodDelete ? 'delete_pod' : 'rollout_restart';
    let objectText = `the rollout of deployment ${repair.deployment}`;
    if (isPodDelete) {
      objectText =
        target.pod === undefined
          ? `the pod of ${component} at ${target.address}`
          : `pod ${target.pod.name}`;
    }
    const verb = isPodDelete ? 'delete' : 'restart';
    const reason = describeSickness(target, now);
    entry.nextAllowedAt = now + entry.backoffMs;
    entry.backoffMs = Math.min(
      entry.backoffMs * 2,
      this.options.settings.restartBackoffMaxSeconds * 1000,
    );
    const fields = {
      event: 'integrity.restart',
      component,
      action,
      pod: target.pod?.name,
      deployment: isPodDelete ? undefined : repair.deployment,
      health: target.health,
      unhealthy_seconds: Math.round((now - target.since.getTime()) / 1000),
      dry_run: kube === undefined,
    };
    if (kube === undefined) {
      entry.restarts.push(now);
      entry.lastAction = `would ${verb} ${objectText}: ${reason}`;
      this.options.metrics.restarts.inc({ component, action, result: 'done', dry_run: 'true' });
      this.options.logger.warn(fields, `outside Kubernetes, so not acting: ${entry.lastAction}`);
      return;
    }
    try {
      if (isPodDelete && target.pod !== undefined) await kube.deletePod(target.pod.name);
      else if (isPodDelete) throw new Error('the instance has no pod to delete');
      else await kube.restartDeployment(repair.deployment, new Date(now));
    } catch (err) {
      entry.lastAction = `failed to ${verb} ${objectText}: ${describeKubeError(err)}`;
      this.options.metrics.restarts.inc({ component, action, result: 'failed', dry_run: 'false' });
      this.options.logger.error({ ...fields, err }, `restart failed: ${entry.lastAction}`);
      return;
    }
    entry.restarts.push(now);
    const done = isPodDelete ? 'deleted' : 'restarted';
    entry.lastAction = `${done} ${objectText}: ${reason}`;
    this.options.metrics.restarts.inc({ component, action, result: 'done', dry_run: 'false' });
    this.options.logger.warn(fields, entry.lastAction);
    const subject: EventSubject = isPodDelete
      ? { kind: 'Pod', apiVersion: 'v1', name: target.pod!.name, uid: target.pod!.uid }
      : { kind: 'Deployment', apiVersion: 'apps/v1', name: repair.deployment };
    await this.recordEvent(kube, subject, `mailshield integrity monitor ${entry.lastAction}`);
  }

  private async recordEvent(
    kube: KubeClient,
    subject: EventSubject,
    message: string,
  ): Promise<void> {
    try {
      await kube.createEvent(subject, {
        reason: 'IntegrityRestart',
        message,
        type: 'Warning',
        reporter: this.options.identity,
      });
    } catch (err) {
      this.options.logger.warn(
        { err, event: 'integrity.event_failed', object: subject.name },
        `recording the restart as a Kubernetes Event failed: ${describeKubeError(err)}`,
      );
    }
  }

  private cap(component: string, entry: ComponentEntry, now: number): void {
    const { restartWindowSeconds, restartMaxPerWindow } = this.options.settings;
    const resumeAt = new Date(entry.restarts[0]! + restartWindowSeconds * 1000);
    entry.lastAction =
      `restart limit reached: ${entry.restarts.length} restarts in ${restartWindowSeconds} s; ` +
      `next restart no sooner than ${resumeAt.toISOString()}`;
    if (entry.isCapped) return;
    entry.isCapped = true;
    this.options.logger.error(
      {
        event: 'integrity.restart_limit',
        component,
        restarts: entry.restarts.length,
        max_restarts: restartMaxPerWindow,
        window_seconds: restartWindowSeconds,
        unhealthy_since: new Date(now).toISOString(),
      },
      `${component} stays unhealthy after ${entry.restarts.length} restarts, and the next restart ` +
        `comes no sooner than ${resumeAt.toISOString()}. Check its logs and Kubernetes Events.`,
    );
  }

  private entry(component: string): ComponentEntry {
    let entry = this.entries.get(component);
    if (entry === undefined) {
      entry = {
        restarts: [],
        backoffMs: this.options.settings.restartBackoffSeconds * 1000,
        nextAllowedAt: 0,
        lastAction: '',
        isCapped: false,
      };
      this.entries.set(component, entry);
    }
    return entry;
  }

  /** Drops restarts older than the window, and resets the backoff once none is left. */
  private prune(entry: ComponentEntry, now: number): void {
    const windowStart = now - this.options.settings.restartWindowSeconds * 1000;
    while (entry.restarts.length > 0 && entry.restarts[0]! <= windowStart) entry.restarts.shift();
    if (entry.restarts.length === 0) {
      entry.backoffMs = this.options.settings.restartBackoffSeconds * 1000;
      entry.isCapped = false;
    }
  }
}

function describeSickness(instance: SickInstance, now: number): string {
  const seconds = Math.round((now - instance.since.getTime()) / 1000);
  const detail = instance.detail === '' ? '' : ` (${instance.detail})`;
  return `${instance.health} for ${seconds} s${detail}`;
}
