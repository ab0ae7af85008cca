import { ScannerWrapper, type ScanRequest } from '../engine/scanner.js';
import type { EngineVerdict } from '../engine/verdict.js';

/**
 * A Scanner that counts the objects and bytes passed on to another one, so the benchmark can
 * check that the antivirus sent clamd what the raw pass sends. Counting costs two additions
 * per object.
 */
export class CountingScanner extends ScannerWrapper {
  objects = 0;
  bytes = 0;

  scan(request: ScanRequest): Promise<EngineVerdict> {
    this.objects++;
    this.bytes += request.content.length;
    return this.inner.scan(request);
  }
}
