import type { HostPort } from '@mailshield/common';
import { ClamdClient } from '../engine/clamd-client.js';
import { ClamdPool } from '../engine/clamd-pool.js';
import { CachingScanner } from '../engine/scan-cache.js';
import type { ScanStatus } from '../engine/verdict.js';
import { scanMessage, type ScanSettings } from '../scan/scan-message.js';
import type { RamStore } from '../store/ram-store.js';
import { CountingScanner } from './counting-scanner.js';
import { measure, runBounded, type Measurement } from './measure.js';

/** Settings of one antivirus pass. */
export interface AntivirusPassSetup {
  clamd: HostPort[];
  /** The scan store, whose files clamd scans by path; undefined to send bytes by INSTREAM. */
  store: RamStore | undefined;
  settings: ScanSettings;
  concurrency: number;
  clamdPids: readonly number[];
}

export interface AntivirusPassResult {
  measurement: Measurement;
  /** Messages by the status scanMessage gave them. */
  statuses: Partial<Record<ScanStatus, number>>;
  /** Objects and bytes that reached the clamd pool, past the antivirus' own cache. */
  objectsToClamd: number;
  bytesToClamd: number;
}

/**
 * Scans every message with scanMessage, `concurrency` messages at a time, the way the
 * service does by default: a ClamdPool with as many scans in flight per clamd as messages at
 * once, behind the antivirus' CachingScanner.
 */
export async function runAntivirusPass(
  messages: readonly Buffer[],
  setup: AntivirusPassSetup,
): Promise<AntivirusPassResult> {
  const pool = new ClamdPool({
    endpoints: setup.clamd.map((address) => ({
      address,
      sharesStore: setup.store !== undefined,
    })),
    maxScansInFlight: setup.concurrency,
  });
  const counter = new CountingScanner(pool);
  const engine = { scanner: new CachingScanner(counter), store: setup.store };
  const statuses: Partial<Record<ScanStatus, number>> = {};
  try {
    const { measurement } = await measure(setup.clamdPids, () =>
      runBounded(messages.length, setup.concurrency, async (index) => {
        const scan = await scanMessage(messages[index]!, engine, setup.settings);
        statuses[scan.status] = (statuses[scan.status] ?? 0) + 1;
      }),
    );
    return { measurement, statuses, objectsToClamd: counter.objects, bytesToClamd: counter.bytes };
  } finally {
    await pool.close();
  }
}

export interface RawPassResult {
  measurement: Measurement;
  /** Objects clamd found clean, found a signature in, or failed on. */
  clean: number;
  found: number;
  errors: number;
  /** The first error, to print when there are some. */
  firstError: string | undefined;
}

/**
 * Sends every object straight to clamd with INSTREAM, `concurrency` at a time, the clamd
 * instances in turn: the least work a client of clamd must do for the same bytes.
 */
export async function runRawPass(
  objects: readonly Buffer[],
  clamd: HostPort[],
  options: { concurrency: number; timeoutSeconds: number; clamdPids: readonly number[] },
): Promise<RawPassResult> {
  const clients = clamd.map((address) => new ClamdClient(address));
  const result = { clean: 0, found: 0, errors: 0, firstError: undefined as string | undefined };
  const call = { timeoutMs: options.timeoutSeconds * 1000 };
  const { measurement } = await measure(options.clamdPids, () =>
    runBounded(objects.length, options.concurrency, async (index) => {
      try {
        const names = await clients[index % clients.length]!.scanStream(objects[index]!, call);
        if (names.length === 0) result.clean++;
        else result.found++;
      } catch (err) {
        result.errors++;
        result.firstError ??= (err as Error).message;
      }
    }),
  );
  return { measurement, ...result };
}
