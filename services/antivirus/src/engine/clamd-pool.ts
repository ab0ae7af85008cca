import { setMaxListeners } from 'node:events';
import type { Logger } from '@mailshield/common';
import { AvReason } from '../errors.js';
import {
  CircuitBreaker,
  monotonicClock,
  type CircuitPermit,
  type Clock,
} from './circuit-breaker.js';
import { CircuitProber } from './circuit-prober.js';
import { ClamdClient } from './clamd-client.js';
import {
  ClamdEndpoint,
  type CircuitChange,
  type ClamdEndpointConfig,
  type EndpointState,
} from './clamd-endpoint.js';
import { ClamdError } from './clamd-error.js';
import type { ScanRequest, Scanner } from './scanner.js';
import { unscannedVerdict, type EngineVerdict } from './verdict.js';

export type { ClamdEndpointConfig, EndpointState } from './clamd-endpoint.js';

export interface ClamdPoolOptions {
  /** The clamd instances to use; at least one. */
  endpoints: ClamdEndpointConfig[];
  /** Scans in flight per endpoint; further scans wait for a slot. Default 8. */
  maxScansInFlight?: number;
  /** Consecutive transient failures that open an endpoint's circuit. Default 3. */
  failureThreshold?: number;
  /** First cool-down of an open circuit, in seconds. Default 5. */
  coolDownSeconds?: number;
  /** Maximum cool-down, reached by doubling while probes fail, in seconds. Default 60. */
  maxCoolDownSeconds?: number;
  /** Time a background probe PING may take, in seconds. Default 2. */
  probeTimeoutSeconds?: number;
  /** Time a TCP connect may take within a scan's timeout, in seconds. Default 2. */
  connectTimeoutSeconds?: number;
  /** Bytes per INSTREAM chunk. Default 64 KiB. */
  chunkBytes?: number;
  /**
   * Seconds between background refreshes (PING and VERSION of every endpoint), which keep
   * signatureVersion() current. The first runs at once. 0 turns them off. Default 60.
   */
  refreshIntervalSeconds?: number;
  logger?: Logger;
  clock?: Clock;
}

/** Attempts one scan may make on the same endpoint: the first try and one retry. */
const MAX_ATTEMPTS_PER_ENDPOINT = 2;

/**
 * Scans with a pool of clamd instances. Each scan goes to the least busy endpoint whose
 * circuit lets it through. A transient failure (refused, reset, closed early, timeout, bad
 * reply) is retried on another endpoint, or once on the same one, while the scan's deadline
 * allows. A verdict, or an error that depends only on the content such as the stream size
 * limit, is returned as is. When every circuit is open a scan returns unscanned at once, with
 * AV_CLAMD_CIRCUIT_OPEN, and background PINGs probe the endpoints until one replies.
 */
export class ClamdPool implements Scanner {
  private readonly endpoints: ClamdEndpoint[];
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly probeTimeoutMs: number;
  private readonly closing = new AbortController();
  private readonly prober: CircuitProber;
  private refreshTimer: NodeJS.Timeout | undefined;
  private rotation = 0;

  constructor(options: ClamdPoolOptions) {
    if (options.endpoints.length === 0)
      throw new RangeError('ClamdPool needs at least one endpoint');
    this.clock = options.clock ?? monotonicClock;
    this.logger = options.logger;
    this.probeTimeoutMs = (options.probeTimeoutSeconds ?? 2) * 1000;
    // Every exchange in flight listens for the pool closing, far more than the default of 10.
    setMaxListeners(0, this.closing.signal);
    this.endpoints = options.endpoints.map((config) => this.createEndpoint(config, options));
    this.prober = new CircuitProber(this.endpoints, {
      clock: this.clock,
      probeTimeoutMs: this.probeTimeoutMs,
      signal: this.closing.signal,
    });
    this.startRefreshing(options.refreshIntervalSeconds ?? 60);
  }

  /** Scans one object; never rejects. See the class description for retries. */
  async scan(request: ScanRequest): Promise<EngineVerdict> {
    const timeoutMs = request.timeoutSeconds * 1000;
    if (this.closing.signal.aborted)
      return unscannedVerdict(AvReason.clamdUnavailable, 'scanner is closed');
    if (!(timeoutMs > 0))
      return unscannedVerdict(
        AvReason.clamdTimeout,
        `invalid scan timeout ${request.timeoutSeconds} s`,
      );
    const deadline = this.clock.now() + timeoutMs;
    const attempts = new Map<ClamdEndpoint, number>();
    let lastError: ClamdError | undefined;
    this.rotation++;
    for (;;) {
      if (this.clock.now() >= deadline)
        return verdictOfError(lastError ?? deadlineError(timeoutMs));
      const choice = this.pick(attempts);
      if (choice === undefined)
        return lastError === undefined ? this.circuitOpenVerdict() : verdictOfError(lastError);
      attempts.set(choice.endpoint, (attempts.get(choice.endpoint) ?? 0) + 1);
      const result = await choice.endpoint.attempt(request, choice.permit, deadline);
      if (!(result instanceof ClamdError)) return result;
      if (result.kind === 'aborted') return verdictOfError(result);
      lastError = result;
      this.logger?.warn(
        {
          event: 'clamd.attempt_failed',
          clamd: choice.endpoint.name,
          kind: result.kind,
          err: result,
        },
        'clamd scan attempt failed',
      );
    }
  }

  /** Resolves true when at least one endpoint replies to PING within `timeoutSeconds`. */
  async ping(timeoutSeconds: number): Promise<boolean> {
    const results = await Promise.all(
      this.endpoints.map((endpoint) => endpoint.ping(timeoutSeconds * 1000)),
    );
    return results.some((isUp) => isUp);
  }

  /** PINGs every endpoint, sends VERSION to those that reply, and returns their states. */
  async refresh(timeoutSeconds: number): Promise<EndpointState[]> {
    return Promise.all(this.endpoints.map((endpoint) => endpoint.refresh(timeoutSeconds * 1000)));
  }

  /** Returns the state of every endpoint as last seen, without contacting clamd. */
  states(): EndpointState[] {
    return this.endpoints.map((endpoint) => endpoint.state());
  }

  /**
   * Returns the engine and database versions every endpoint last reported, joined into one token.
   * NOTE: clamd loaded with unofficial signature files only reports no database version, so
   * the token then does not change when those files change.
   */
  signatureVersion(): string {
    return this.endpoints.map((endpoint) => endpoint.versionToken()).join(',');
  }

  /** True while at least one endpoint's circuit is closed. */
  isAvailable(): boolean {
    return this.prober.isAvailable();
  }

  /**
   * Resolves once a circuit is closed, which background PING probes bring about when clamd
   * comes back. Rejects with the signal's reason when `signal` aborts, or when the pool closes.
   */
  waitUntilAvailable(signal?: AbortSignal): Promise<void> {
    return this.prober.waitUntilAvailable(signal);
  }

  /** Stops probes and refreshes and aborts scans in flight, which return unscanned. */
  async close(): Promise<void> {
    clearTimeout(this.refreshTimer);
    this.closing.abort(new ClamdError('aborted', 'clamd pool closed'));
  }

  private createEndpoint(config: ClamdEndpointConfig, options: ClamdPoolOptions): ClamdEndpoint {
    return new ClamdEndpoint(config, {
      maxScansInFlight: options.maxScansInFlight ?? 8,
      breaker: new CircuitBreaker({
        failureThreshold: options.failureThreshold,
        coolDownSeconds: options.coolDownSeconds,
        maxCoolDownSeconds: options.maxCoolDownSeconds,
        clock: this.clock,
      }),
      client: new ClamdClient(config.address, {
        chunkBytes: options.chunkBytes,
        connectTimeoutMs: (options.connectTimeoutSeconds ?? 2) * 1000,
      }),
      clock: this.clock,
      signal: this.closing.signal,
      onCircuitChange: (endpoint, change) => this.onCircuitChange(endpoint, change),
      logger: this.logger,
    });
  }

  /**
   * The endpoint for the next attempt and its circuit permit: first those this scan tried
   * least, then closed circuits before ones ready for a probe, then the least busy. Ties go
   * round-robin, so idle endpoints share the scans.
   */
  private pick(
    attempts: Map<ClamdEndpoint, number>,
  ): { endpoint: ClamdEndpoint; permit: CircuitPermit } | undefined {
    const count = this.endpoints.length;
    const rotated = this.endpoints.map(
      (_, index) => this.endpoints[(index + this.rotation) % count]!,
    );
    const rank = (endpoint: ClamdEndpoint): number[] => [
      attempts.get(endpoint) ?? 0,
      endpoint.breaker.state === 'closed' ? 0 : 1,
      endpoint.load,
    ];
    const candidates = rotated
      .filter((endpoint) => (attempts.get(endpoint) ?? 0) < MAX_ATTEMPTS_PER_ENDPOINT)
      .sort((a, b) => compareRanks(rank(a), rank(b)));
    for (const endpoint of candidates) {
      const permit = endpoint.breaker.tryAcquire();
      if (permit !== undefined) return { endpoint, permit };
    }
    return undefined;
  }

  private circuitOpenVerdict(): EngineVerdict {
    this.prober.schedule();
    const waitMs = Math.min(...this.endpoints.map((endpoint) => endpoint.breaker.msUntilProbe));
    return unscannedVerdict(
      AvReason.clamdCircuitOpen,
      `every clamd circuit is open; the next probe is due in ${Math.ceil(waitMs)} ms`,
    );
  }

  private onCircuitChange(endpoint: ClamdEndpoint, change: CircuitChange): void {
    const fields = {
      event: `clamd.circuit_${change}`,
      clamd: endpoint.name,
      available: this.isAvailable(),
    };
    if (change === 'closed') {
      this.logger?.info(fields, 'clamd circuit closed: clamd answers again');
      this.prober.wakeWaiters();
      return;
    }
    const coolDownMs = Math.round(endpoint.breaker.msUntilProbe);
    if (change === 'opened')
      this.logger?.warn(
        { ...fields, cool_down_ms: coolDownMs },
        'clamd circuit opened after repeated failures',
      );
    else
      this.logger?.debug(
        { ...fields, cool_down_ms: coolDownMs },
        'clamd probe failed; circuit stays open',
      );
    this.prober.schedule();
  }

  private startRefreshing(intervalSeconds: number): void {
    if (!(intervalSeconds > 0)) return;
    const run = async (): Promise<void> => {
      await this.refresh(Math.min(intervalSeconds, this.probeTimeoutMs / 1000));
      if (this.closing.signal.aborted) return;
      this.refreshTimer = setTimeout(() => void run(), intervalSeconds * 1000);
      this.refreshTimer.unref();
    };
    this.refreshTimer = setTimeout(() => void run(), 0);
    this.refreshTimer.unref();
  }
}

function compareRanks(a: number[], b: number[]): number {
  for (let index = 0; index < a.length; index++) {
    const difference = a[index]! - b[index]!;
    if (difference !== 0) return difference;
  }
  return 0;
}

function verdictOfError(error: ClamdError): EngineVerdict {
  return unscannedVerdict(error.code, error.message);
}

function deadlineError(timeoutMs: number): ClamdError {
  return new ClamdError('timeout', `scan did not finish within ${timeoutMs} ms`);
}
