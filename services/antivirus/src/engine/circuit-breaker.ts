/** A source of monotonic time in milliseconds, replaceable in tests. */
export interface Clock {
  now(): number;
}

/** Monotonic time from performance.now(), which wall-clock changes do not move. */
export const monotonicClock: Clock = { now: () => performance.now() };

/**
 * State of a circuit: `closed` lets every call through, `open` lets none through until the
 * cool-down ends, and `half-open` lets one probe through (or is ready to).
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive transient failures that open the circuit. Default 3. */
  failureThreshold?: number;
  /** First cool-down of an open circuit, in seconds. Default 5. */
  coolDownSeconds?: number;
  /** Cool-down limit: each failed probe doubles the cool-down up to this, in seconds. Default 60. */
  maxCoolDownSeconds?: number;
  clock?: Clock;
}

/** Permission for one attempt, from `CircuitBreaker.tryAcquire()`. */
export interface CircuitPermit {
  /** True for the single attempt an open circuit lets through after its cool-down. */
  readonly isProbe: boolean;
  /** Open period the permit belongs to, so a late report cannot end a newer probe. */
  readonly period: number;
}

/**
 * Circuit breaker of one clamd endpoint. Callers ask `tryAcquire()` before an attempt and
 * report its end with exactly one of `recordSuccess()`, `recordFailure(permit)` or
 * `release(permit)`. Checks that are not attempts (health PINGs) may report without a permit.
 */
export class CircuitBreaker {
  private readonly failureThreshold: number;
  private readonly baseCoolDownMs: number;
  private readonly maxCoolDownMs: number;
  private readonly clock: Clock;
  private consecutiveFailures = 0;
  private isOpen = false;
  private openUntil = 0;
  private coolDownMs: number;
  private isProbing = false;
  private period = 0;

  constructor(options: CircuitBreakerOptions = {}) {
    this.failureThreshold = Math.max(1, options.failureThreshold ?? 3);
    this.baseCoolDownMs = (options.coolDownSeconds ?? 5) * 1000;
    this.maxCoolDownMs = Math.max(this.baseCoolDownMs, (options.maxCoolDownSeconds ?? 60) * 1000);
    this.clock = options.clock ?? monotonicClock;
    this.coolDownMs = this.baseCoolDownMs;
  }

  get state(): CircuitState {
    if (!this.isOpen) return 'closed';
    return this.isProbing || this.clock.now() >= this.openUntil ? 'half-open' : 'open';
  }

  /** True while the probe of an open circuit is running. */
  get isProbeInFlight(): boolean {
    return this.isOpen && this.isProbing;
  }

  /** Milliseconds until an open circuit accepts a probe; 0 when closed or ready for one. */
  get msUntilProbe(): number {
    if (!this.isOpen) return 0;
    return Math.max(0, this.openUntil - this.clock.now());
  }

  /**
   * Returns a permit when an attempt may start: always while closed, and once per cool-down
   * while open, when the attempt becomes the probe that decides whether the circuit closes.
   * Returns undefined otherwise.
   */
  tryAcquire(): CircuitPermit | undefined {
    if (!this.isOpen) return { isProbe: false, period: this.period };
    if (this.isProbing || this.clock.now() < this.openUntil) return undefined;
    this.isProbing = true;
    return { isProbe: true, period: this.period };
  }

  /** Records that clamd replied (a verdict, or an error that does not depend on its health). */
  recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.isOpen = false;
    this.isProbing = false;
    this.coolDownMs = this.baseCoolDownMs;
  }

  /**
   * Records a transient failure. While closed, `failureThreshold` of them in a row open the
   * circuit. A failed probe reopens it with the cool-down doubled, up to the maximum. Any other
   * failure while open, such as that of an attempt started before the circuit opened, changes
   * nothing.
   */
  recordFailure(permit?: CircuitPermit): void {
    if (this.isOpen) {
      if (this.isCurrentProbe(permit)) this.open(Math.min(this.coolDownMs * 2, this.maxCoolDownMs));
      return;
    }
    this.consecutiveFailures++;
    if (this.consecutiveFailures >= this.failureThreshold) this.open(this.baseCoolDownMs);
  }

  /** Ends an attempt that gave no evidence either way, such as one aborted by the caller. */
  release(permit: CircuitPermit): void {
    if (this.isCurrentProbe(permit)) this.isProbing = false;
  }

  private isCurrentProbe(permit: CircuitPermit | undefined): boolean {
    return permit?.isProbe === true && permit.period === this.period && this.isProbing;
  }

  private open(coolDownMs: number): void {
    this.isOpen = true;
    this.isProbing = false;
    this.period++;
    this.coolDownMs = coolDownMs;
    this.openUntil = this.clock.now() + coolDownMs;
  }
}
