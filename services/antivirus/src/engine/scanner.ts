import type { EngineVerdict } from './verdict.js';

/** One object to scan. */
export interface ScanRequest {
  /** The bytes to scan. */
  content: Buffer;
  /**
   * Absolute path of a file that contains exactly `content`, in the antivirus' store folder.
   * A clamd that shares that folder scans the file with SCAN; others get `content` by INSTREAM.
   */
  file?: string | undefined;
  /** Time the whole scan may take, retries included, in seconds. */
  timeoutSeconds: number;
}

/** The scan engine interface the rest of the service uses, so tests and caches can stand in. */
export interface Scanner {
  /** Scans one object. Never rejects: every failure comes back as an unscanned verdict. */
  scan(request: ScanRequest): Promise<EngineVerdict>;
  /** Resolves true when at least one clamd replies to PING within `timeoutSeconds`. */
  ping(timeoutSeconds: number): Promise<boolean>;
  /** A token that changes whenever the signatures in use change; part of cache keys. */
  signatureVersion(): string;
  /** False while no clamd is known to be working, when scans fail at once. */
  isAvailable(): boolean;
  /**
   * Resolves once `isAvailable()` is true. Rejects with the signal's reason when `signal`
   * aborts first.
   */
  waitUntilAvailable(signal?: AbortSignal): Promise<void>;
}

/** A Scanner that adds to `scan` and passes every other call on to the scanner it wraps. */
export abstract class ScannerWrapper implements Scanner {
  constructor(protected readonly inner: Scanner) {}

  abstract scan(request: ScanRequest): Promise<EngineVerdict>;

  ping(timeoutSeconds: number): Promise<boolean> {
    return this.inner.ping(timeoutSeconds);
  }

  signatureVersion(): string {
    return this.inner.signatureVersion();
  }

  isAvailable(): boolean {
    return this.inner.isAvailable();
  }

  waitUntilAvailable(signal?: AbortSignal): Promise<void> {
    return this.inner.waitUntilAvailable(signal);
  }
}
