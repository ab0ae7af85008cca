import type { Clock } from './circuit-breaker.js';
import type { ClamdEndpoint } from './clamd-endpoint.js';

export interface CircuitProberOptions {
  clock: Clock;
  /** Time a probe PING may take, in milliseconds. */
  probeTimeoutMs: number;
  /** Stops probing and rejects waiters when it aborts. */
  signal: AbortSignal;
}

/** Poll interval while every open circuit already has a probe in flight, in milliseconds. */
const PROBE_POLL_MS = 250;

/**
 * Probes the open circuits of a pool with PING once their cool-down ends, so an endpoint
 * comes back without risking a real scan, and wakes those waiting for a closed circuit.
 */
export class CircuitProber {
  private readonly waiters = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private due = Infinity;
  private isProbing = false;

  constructor(
    private readonly endpoints: ClamdEndpoint[],
    private readonly options: CircuitProberOptions,
  ) {
    options.signal.addEventListener('abort', () => clearTimeout(this.timer), { once: true });
  }

  /** True while at least one endpoint's circuit is closed. */
  isAvailable(): boolean {
    return this.endpoints.some((endpoint) => endpoint.breaker.state === 'closed');
  }

  /**
   * Resolves once a circuit is closed. Rejects with the signal's reason when `signal` aborts,
   * and with the prober's abort reason when the pool closes.
   */
  waitUntilAvailable(signal?: AbortSignal): Promise<void> {
    if (this.isAvailable()) return Promise.resolve();
    const closing = this.options.signal;
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: unknown): void => {
        this.waiters.delete(wake);
        signal?.removeEventListener('abort', onAbort);
        closing.removeEventListener('abort', onClose);
        if (error === undefined) resolve();
        else reject(error);
      };
      const wake = (): void => settle();
      const onAbort = (): void => settle(signal!.reason);
      const onClose = (): void => settle(closing.reason);
      if (signal?.aborted === true) return onAbort();
      if (closing.aborted) return onClose();
      this.waiters.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
      closing.addEventListener('abort', onClose, { once: true });
      this.schedule();
    });
  }

  /** Wakes every waiter; called when a circuit closes. */
  wakeWaiters(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /**
   * Arms one timer for the next probe of an open circuit, unless a sooner one is armed. The
   * timer does not keep the process alive.
   */
  schedule(): void {
    if (this.options.signal.aborted || this.isProbing) return;
    const delays = this.endpoints
      .filter((endpoint) => endpoint.breaker.state !== 'closed')
      .map((endpoint) =>
        endpoint.breaker.isProbeInFlight ? PROBE_POLL_MS : endpoint.breaker.msUntilProbe,
      );
    if (delays.length === 0) return;
    const now = this.options.clock.now();
    const due = now + Math.min(...delays);
    if (this.timer !== undefined && this.due <= due) return;
    clearTimeout(this.timer);
    this.due = due;
    this.timer = setTimeout(() => void this.probe(), Math.max(0, due - now));
    this.timer.unref();
  }

  private async probe(): Promise<void> {
    this.timer = undefined;
    this.due = Infinity;
    this.isProbing = true;
    try {
      await Promise.all(
        this.endpoints.map(async (endpoint) => {
          if (endpoint.breaker.state === 'closed') return;
          const permit = endpoint.breaker.tryAcquire();
          if (permit !== undefined) await endpoint.ping(this.options.probeTimeoutMs, permit);
        }),
      );
    } finally {
      this.isProbing = false;
      this.schedule();
    }
  }
}
