import type { ScanRequest, Scanner } from '../engine/scanner.js';
import type { EngineVerdict } from '../engine/verdict.js';

/**
 * A Scanner that counts the objects and bytes passed on to another one, so the benchmark can
 * check that the antivirus sent clamd what the raw pass sends. Counting costs two additions
 * per object.
 */
export class CountingScanner implements Scanner {
  objects = 0;
  bytes = 0;

  constructor(private readonly inner: Scanner) {}

  scan(request: ScanRequest): Promise<EngineVerdict> {
    this.objects++;
    this.bytes += request.content.length;
    return this.inner.scan(request);
  }

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
