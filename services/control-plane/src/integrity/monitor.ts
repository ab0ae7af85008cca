import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  clientChannelOptions,
  deadlineIn,
  DEGRADED_HEALTH_SERVICE,
  formatHostPort,
  insecureCredentials,
  type Logger,
} from '@mailshield/common';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthClient,
} from '@mailshield/proto/health';
import type { ComponentStatus } from '@mailshield/proto/integrity';
import type { MonitoredComponent } from '../config.js';
import type { ControlPlaneMetrics } from '../metrics.js';

export type Health = 'UNKNOWN' | 'SERVING' | 'DEGRADED' | 'NOT_SERVING' | 'UNREACHABLE';

interface Tracked {
  component: MonitoredComponent;
  client: HealthClient;
  health: Health;
  detail: string;
  checkedAt: Date | undefined;
  since: Date;
}

export interface IntegrityMonitorOptions {
  components: MonitoredComponent[];
  intervalSeconds: number;
  timeoutSeconds: number;
  logger: Logger;
  metrics: ControlPlaneMetrics;
}

/**
 * Checks every component with grpc.health.v1 Check at a fixed interval and keeps its health,
 * since when it has had that health, and the last error. A component that does not answer
 * within the deadline is UNREACHABLE.
 * NOTE: it only reports; nothing restarts a component that stays unhealthy yet.
 */
export class IntegrityMonitor {
  private readonly tracked: Tracked[];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: IntegrityMonitorOptions) {
    const now = new Date();
    this.tracked = options.components.map((component) => ({
      component,
      client: new HealthClient(
        formatHostPort(component.address),
        insecureCredentials,
        clientChannelOptions,
      ),
      health: 'UNKNOWN',
      detail: '',
      checkedAt: undefined,
      since: now,
    }));
  }

  start(): void {
    const tick = () => {
      this.running = this.checkAll().finally(() => {
        this.running = undefined;
        if (this.timer !== undefined)
          this.timer = setTimeout(tick, this.options.intervalSeconds * 1000);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    for (const tracked of this.tracked) tracked.client.close();
  }

  /** Checks every component once, in parallel. */
  async checkAll(): Promise<void> {
    await Promise.all(this.tracked.map((tracked) => this.check(tracked)));
  }

  /** Current status of every component; `policyVersions` gives the version each one was sent. */
  snapshot(policyVersions: ReadonlyMap<string, number>): ComponentStatus[] {
    return this.tracked.map((tracked) => ({
      name: tracked.component.name,
      address: formatHostPort(tracked.component.address),
      health: tracked.health,
      detail: tracked.detail,
      checkedAt: tracked.checkedAt,
      since: tracked.since,
      policyVersion: policyVersions.get(tracked.component.name) ?? 0,
      dependencies: [],
      policyLagging: false,
      restartsInWindow: 0,
      lastRestartAt: undefined,
      lastAction: '',
    }));
  }

  private async check(tracked: Tracked): Promise<void> {
    const { health, detail } = await this.checkComponent(tracked.client);
    const name = tracked.component.name;
    const now = new Date();
    if (health !== tracked.health) {
      const level = health === 'SERVING' ? 'info' : 'warn';
      this.options.logger[level](
        {
          event: 'integrity.health_changed',
          component: name,
          from: tracked.health,
          to: health,
          detail,
        },
        'component health changed',
      );
      tracked.since = now;
    }
    tracked.health = health;
    tracked.detail = detail;
    tracked.checkedAt = now;
    const isUp = health === 'SERVING' || health === 'DEGRADED';
    this.options.metrics.componentUp.set({ component: name }, isUp ? 1 : 0);
    this.options.metrics.healthChecks.inc({ component: name, result: health.toLowerCase() });
  }

  /**
   * Checks the overall health, then the degraded marker of a serving component: a component
   * that still works but needs attention, such as an antivirus with stale signatures, sets
   * the marker service to NOT_SERVING.
   */
  private async checkComponent(client: HealthClient): Promise<{ health: Health; detail: string }> {
    const overall = await this.callCheck(client, '');
    if (overall.health !== 'SERVING') return overall;
    const marker = await this.callCheck(client, DEGRADED_HEALTH_SERVICE);
    if (marker.health !== 'NOT_SERVING') return overall;
    return {
      health: 'DEGRADED',
      detail: 'the component reports itself degraded; its metrics and logs say why',
    };
  }

  private callCheck(
    client: HealthClient,
    service: string,
  ): Promise<{ health: Health; detail: string }> {
    return new Promise((resolve) => {
      const deadline = deadlineIn(this.options.timeoutSeconds);
      client.check(
        { service },
        new Metadata(),
        { deadline },
        (err: ServiceError | null, response) => {
          if (err !== null) {
            const code = GrpcStatus[err.code] ?? String(err.code);
            resolve({ health: 'UNREACHABLE', detail: `${code}: ${err.details || err.message}` });
          } else if (response.status === ServingStatus.SERVING) {
            resolve({ health: 'SERVING', detail: '' });
          } else {
            resolve({
              health: 'NOT_SERVING',
              detail: `health status ${ServingStatus[response.status] ?? response.status}`,
            });
          }
        },
      );
    });
  }
}
