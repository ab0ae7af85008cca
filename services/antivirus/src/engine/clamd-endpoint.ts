import { formatHostPort, type HostPort, type Logger } from '@mailshield/common';
import {
  CircuitBreaker,
  type CircuitPermit,
  type CircuitState,
  type Clock,
} from './circuit-breaker.js';
import { ClamdClient, type ClamdCallOptions } from './clamd-client.js';
import { ClamdError } from './clamd-error.js';
import type { ClamdVersion } from './clamd-protocol.js';
import { timedSignal } from './deadline.js';
import { Limiter } from './limiter.js';
import type { ScanRequest } from './scanner.js';
import { unscannedVerdict, verdictOfNames, type EngineVerdict } from './verdict.js';

/** One clamd the pool sends scans to. */
export interface ClamdEndpointConfig {
  address: HostPort;
  /**
   * True when this clamd reads the antivirus' store folder at the same path, so it can scan a
   * stored object with SCAN instead of receiving its bytes.
   */
  sharesStore: boolean;
}

/** State of one clamd as the pool last saw it. */
export interface EndpointState {
  address: HostPort;
  sharesStore: boolean;
  /** Whether the last PING got PONG; false before the first one. */
  isUp: boolean;
  circuit: CircuitState;
  /** ClamAV version from the last VERSION reply, such as `1.4.6`. */
  engineVersion: string | undefined;
  /** Daily database version; undefined when unknown or no official database is loaded. */
  databaseVersion: number | undefined;
  /** Build time of the daily database; undefined when unknown. */
  databaseTime: Date | undefined;
  scansInFlight: number;
}

/** Circuit transition: it opened, a failed probe kept it open, or it closed. */
export type CircuitChange = 'opened' | 'reopened' | 'closed';

export interface ClamdEndpointOptions {
  maxScansInFlight: number;
  breaker: CircuitBreaker;
  client: ClamdClient;
  clock: Clock;
  /** Aborts every exchange and slot wait of this endpoint when the pool closes. */
  signal: AbortSignal;
  onCircuitChange: (endpoint: ClamdEndpoint, change: CircuitChange) => void;
  logger: Logger | undefined;
}

/** Outcome of one attempt: a verdict to return, or a transient failure worth another try. */
export type AttemptResult = EngineVerdict | ClamdError;

/** A clamd with its own limit of scans in flight, circuit breaker and last known versions. */
export class ClamdEndpoint {
  readonly address: HostPort;
  readonly sharesStore: boolean;
  readonly name: string;
  readonly breaker: CircuitBreaker;
  private readonly client: ClamdClient;
  private readonly limiter: Limiter;
  private version: ClamdVersion | undefined;
  private isUp = false;
  private hasLoggedFileFallback = false;

  constructor(
    config: ClamdEndpointConfig,
    private readonly options: ClamdEndpointOptions,
  ) {
    this.address = config.address;
    this.sharesStore = config.sharesStore;
    this.name = formatHostPort(config.address);
    this.breaker = options.breaker;
    this.client = options.client;
    this.limiter = new Limiter(options.maxScansInFlight);
  }

  /** Scans running or waiting for a slot here. */
  get load(): number {
    return this.limiter.inFlight + this.limiter.queued;
  }

  /**
   * Scans `request` here before `deadline` (clock milliseconds), waiting for a free slot
   * first. Never rejects. Returns a ClamdError for a transient failure or an abort, and a
   * verdict otherwise, unscanned for deterministic errors such as the stream size limit.
   */
  async attempt(
    request: ScanRequest,
    permit: CircuitPermit,
    deadline: number,
  ): Promise<AttemptResult> {
    const slot = timedSignal(
      this.options.signal,
      deadline - this.options.clock.now(),
      () =>
        new ClamdError('timeout', `no free scan slot on clamd ${this.name} before the deadline`),
    );
    try {
      return await this.limiter.run(() => this.scanInSlot(request, permit, deadline), slot.signal);
    } catch (err) {
      // Only the wait for a slot rejects; scanInSlot never does.
      this.breaker.release(permit);
      return err instanceof ClamdError ? err : new ClamdError('aborted', 'scan aborted');
    } finally {
      slot.dispose();
    }
  }

  /**
   * Sends PING and records the result in the circuit breaker: PONG closes the circuit. A
   * failure counts only while the circuit is closed, or when `permit` is the current probe.
   */
  async ping(timeoutMs: number, permit?: CircuitPermit): Promise<boolean> {
    try {
      await this.client.ping(this.call(timeoutMs));
      this.isUp = true;
      this.recordSuccess();
      return true;
    } catch (err) {
      this.isUp = false;
      if (err instanceof ClamdError && err.kind === 'aborted') {
        if (permit !== undefined) this.breaker.release(permit);
      } else {
        this.recordFailure(permit);
      }
      return false;
    }
  }

  /** PINGs, then sends VERSION after a PONG. Keeps the last versions when VERSION fails. */
  async refresh(timeoutMs: number): Promise<EndpointState> {
    const deadline = this.options.clock.now() + timeoutMs;
    if (await this.ping(timeoutMs)) {
      try {
        this.version = await this.client.version(this.call(deadline - this.options.clock.now()));
      } catch (err) {
        this.options.logger?.debug(
          { event: 'clamd.version_failed', clamd: this.name, err },
          'clamd did not report its version',
        );
      }
    }
    return this.state();
  }

  state(): EndpointState {
    return {
      address: this.address,
      sharesStore: this.sharesStore,
      isUp: this.isUp,
      circuit: this.breaker.state,
      engineVersion: this.version?.engineVersion,
      databaseVersion: this.version?.databaseVersion,
      databaseTime: this.version?.databaseTime,
      scansInFlight: this.limiter.inFlight,
    };
  }

  /** Returns the signatures this clamd last reported as one string, `?` before the first VERSION. */
  versionToken(): string {
    if (this.version === undefined) return '?';
    const { engineVersion, databaseVersion, databaseTime } = this.version;
    return `${engineVersion}/${databaseVersion ?? ''}/${databaseTime?.getTime() ?? ''}`;
  }

  private async scanInSlot(
    request: ScanRequest,
    permit: CircuitPermit,
    deadline: number,
  ): Promise<AttemptResult> {
    try {
      const names = await this.scanContent(request, deadline);
      this.recordSuccess();
      return verdictOfNames(names);
    } catch (err) {
      const error = asClamdError(err);
      if (error.kind === 'aborted') {
        this.breaker.release(permit);
        return error;
      }
      if (error.isTransient) {
        this.recordFailure(permit);
        return error;
      }
      // clamd replied, so it is healthy, and the error belongs to the content.
      this.recordSuccess();
      return unscannedVerdict(error.code, error.message);
    }
  }

  private async scanContent(request: ScanRequest, deadline: number): Promise<string[]> {
    if (request.file !== undefined && this.sharesStore) {
      try {
        return await this.client.scanFile(request.file, this.callUntil(deadline));
      } catch (err) {
        if (!(err instanceof ClamdError && err.kind === 'fileError')) throw err;
        this.logFileFallback(err);
      }
    }
    return this.client.scanStream(request.content, this.callUntil(deadline));
  }

  private logFileFallback(err: ClamdError): void {
    const fields = { event: 'clamd.scan_file_failed', clamd: this.name, err };
    const message = 'clamd could not scan the stored file; sending the bytes with INSTREAM';
    // The first one is a likely misconfiguration of sharesStore; the rest would flood the log.
    if (this.hasLoggedFileFallback) this.options.logger?.debug(fields, message);
    else this.options.logger?.warn(fields, message);
    this.hasLoggedFileFallback = true;
  }

  private callUntil(deadline: number): ClamdCallOptions {
    const remainingMs = deadline - this.options.clock.now();
    if (remainingMs <= 0) throw new ClamdError('timeout', 'scan deadline passed before sending');
    return this.call(remainingMs);
  }

  private call(timeoutMs: number): ClamdCallOptions {
    return { timeoutMs, signal: this.options.signal };
  }

  private recordSuccess(): void {
    const wasClosed = this.breaker.state === 'closed';
    this.breaker.recordSuccess();
    if (!wasClosed) this.options.onCircuitChange(this, 'closed');
  }

  private recordFailure(permit: CircuitPermit | undefined): void {
    const wasClosed = this.breaker.state === 'closed';
    const wasProbe = permit?.isProbe === true;
    this.breaker.recordFailure(permit);
    if (this.breaker.state === 'closed') return;
    if (wasClosed) this.options.onCircuitChange(this, 'opened');
    else if (wasProbe) this.options.onCircuitChange(this, 'reopened');
  }
}

function asClamdError(err: unknown): ClamdError {
  if (err instanceof ClamdError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ClamdError('scanError', `clamd scan failed: ${message}`, { cause: err });
}
