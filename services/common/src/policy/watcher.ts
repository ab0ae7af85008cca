import { EventEmitter } from 'node:events';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Metadata, type ClientReadableStream } from '@grpc/grpc-js';
import { ConfigClient } from '@mailshield/proto/config';
import { Policy } from '@mailshield/proto/policy';
import { Gauge, type Registry } from 'prom-client';
import type { HostPort } from '../env.js';
import type { Logger } from '../logger.js';
import { clientChannelOptions, deadlineIn, insecureCredentials, target } from '../grpc/client.js';
import type { PolicySource } from './policy-source.js';

export interface PolicyWatcherOptions {
  controlPlane: HostPort;
  /** Component name reported to the control plane, such as "antivirus". */
  component: string;
  logger: Logger;
  registry: Registry;
  /**
   * File that keeps the last good policy, so a restart while the control plane is away
   * still runs with it. No cache when undefined.
   */
  cacheFile?: string;
}

/**
 * Keeps the current policy of a service: it watches the control plane's Config.Watch stream,
 * reconnects with backoff when the stream breaks, and keeps the last good policy meanwhile.
 * Emits `change` with each new policy.
 */
export class PolicyWatcher extends EventEmitter<{ change: [Policy] }> implements PolicySource {
  private policy: Policy | undefined;
  private stream: ClientReadableStream<Policy> | undefined;
  private readonly client: ConfigClient;
  private isStopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoffMs = 200;
  private connected = false;
  private readonly versionGauge: Gauge;
  private readonly connectedGauge: Gauge;
  private firstPolicy: Promise<Policy>;
  private resolveFirst!: (policy: Policy) => void;

  constructor(private readonly options: PolicyWatcherOptions) {
    super();
    this.client = new ConfigClient(
      target(options.controlPlane),
      insecureCredentials,
      clientChannelOptions,
    );
    const prefix = `mailshield_${options.component.replace(/-/g, '_')}`;
    this.versionGauge = new Gauge({
      name: `${prefix}_policy_version`,
      help: 'Version of the policy this component runs; 0 before the first one arrives.',
      registers: [options.registry],
    });
    this.connectedGauge = new Gauge({
      name: `${prefix}_policy_watch_connected`,
      help: '1 while the policy watch stream to the control plane is open, 0 otherwise.',
      registers: [options.registry],
    });
    this.firstPolicy = new Promise((resolve) => (this.resolveFirst = resolve));
  }

  /** Starts watching; resolves with the first policy, from the control plane or the cache. */
  async start(): Promise<Policy> {
    const cached = await this.readCache();
    if (cached !== undefined) this.apply(cached, 'cache');
    this.connect();
    return this.firstPolicy;
  }

  /** The policy in force. Throws before the first one arrived. */
  current(): Policy {
    if (this.policy === undefined) throw new Error('no policy received yet');
    return this.policy;
  }

  /** True while the Config.Watch stream is open and has delivered a policy. */
  get isConnected(): boolean {
    return this.connected;
  }

  stop(): void {
    this.isStopped = true;
    clearTimeout(this.retryTimer);
    this.stream?.cancel();
    this.client.close();
  }

  private connect(): void {
    if (this.isStopped) return;
    const stream = this.client.watch({ component: this.options.component });
    this.stream = stream;
    stream.on('data', (policy: Policy) => {
      this.backoffMs = 200;
      this.connected = true;
      this.connectedGauge.set(1);
      this.apply(policy, 'control-plane');
    });
    // A cancelled or broken stream reports 'error' and then ends; reconnect once.
    let isRetrying = false;
    const retry = (reason: string) => {
      this.connected = false;
      this.connectedGauge.set(0);
      if (this.isStopped || isRetrying) return;
      isRetrying = true;
      this.options.logger.warn(
        { event: 'policy.watch_lost', reason, retry_ms: this.backoffMs },
        'policy watch stream lost; keeping the last good policy',
      );
      this.retryTimer = setTimeout(() => this.connect(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, 5000);
    };
    stream.on('error', (err: Error) => retry(err.message));
    stream.on('end', () => retry('stream ended'));
  }

  private apply(policy: Policy, source: string): void {
    if (this.policy !== undefined && policy.version === this.policy.version && source === 'cache')
      return;
    this.policy = policy;
    this.versionGauge.set(policy.version);
    this.options.logger.info(
      { event: 'policy.applied', policy_version: policy.version, source },
      'policy applied',
    );
    this.resolveFirst(policy);
    this.emit('change', policy);
    if (source !== 'cache') {
      void this.writeCache(policy);
      this.reportApplied(policy.version);
    }
  }

  /**
   * Tells the control plane which version now runs here, for Integrity.Status. A failed report
   * is only logged: the next stream, after a reconnect, sends the policy again and reports anew.
   */
  private reportApplied(version: number): void {
    const request = { component: this.options.component, version };
    this.client.reportApplied(request, new Metadata(), { deadline: deadlineIn(5) }, (err) => {
      if (err === null || this.isStopped) return;
      this.options.logger.warn(
        { err, event: 'policy.report_failed', policy_version: version },
        'could not report the applied policy version to the control plane',
      );
    });
  }

  private async readCache(): Promise<Policy | undefined> {
    if (this.options.cacheFile === undefined) return undefined;
    try {
      return Policy.fromJSON(JSON.parse(await readFile(this.options.cacheFile, 'utf8')));
    } catch {
      return undefined;
    }
  }

  private async writeCache(policy: Policy): Promise<void> {
    const file = this.options.cacheFile;
    if (file === undefined) return;
    try {
      await mkdir(dirname(file), { recursive: true });
      await writeFile(`${file}.tmp`, JSON.stringify(Policy.toJSON(policy)));
      await rename(`${file}.tmp`, file);
    } catch (err) {
      this.options.logger.warn({ err, event: 'policy.cache_failed' }, 'could not cache the policy');
    }
  }
}
