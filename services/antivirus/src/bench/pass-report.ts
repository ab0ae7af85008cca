import type { HostPort } from '@mailshield/common';
import type { ScanSettings } from '../scan/scan-message.js';
import type { RamStore } from '../store/ram-store.js';
import { throughput } from './figures.js';
import type { Measurement } from './measure.js';
import { runAntivirusPass, runRawPass } from './passes.js';
import type { PassReport } from './report.js';

/** One copy of the mix and the objects the antivirus sends clamd for each message. */
export interface PreparedCopy {
  raws: Buffer[];
  objects: Buffer[][];
}

export interface PassContext {
  clamd: HostPort[];
  concurrency: number;
  settings: ScanSettings;
  clamdPids: number[];
  /** The scan store for the antivirus-store pass; undefined for the other passes. */
  store: RamStore | undefined;
}

/** The figures of a pass before its results: sizes of the copy and throughput. */
type PassBase = Omit<PassReport, 'measurement' | 'throughput' | 'results' | 'warning'>;

/** Runs one pass over `copy` and returns its figures; the overhead is added later. */
export async function runPassReport(
  name: PassReport['name'],
  copy: PreparedCopy,
  context: PassContext,
): Promise<PassReport> {
  const objects = copy.objects.flat();
  const base: PassBase = {
    name,
    messages: copy.raws.length,
    messageBytes: sum(copy.raws.map((raw) => raw.length)),
    objects: objects.length,
    objectBytes: sum(objects.map((object) => object.length)),
    overhead: undefined,
  };
  return name === 'raw'
    ? rawPassReport(base, objects, context)
    : antivirusPassReport(base, copy.raws, context);
}

async function rawPassReport(
  base: PassBase,
  objects: Buffer[],
  context: PassContext,
): Promise<PassReport> {
  const raw = await runRawPass(objects, context.clamd, {
    concurrency: context.concurrency,
    timeoutSeconds: context.settings.timeoutSeconds,
    clamdPids: context.clamdPids,
  });
  return {
    ...base,
    measurement: raw.measurement,
    throughput: rate(base, raw.measurement),
    results: `${raw.clean} objects clean, ${raw.found} with a signature, ${raw.errors} errors`,
    warning:
      raw.errors > 0 ? `clamd failed on ${raw.errors} objects: ${raw.firstError}` : undefined,
  };
}

async function antivirusPassReport(
  base: PassBase,
  raws: Buffer[],
  context: PassContext,
): Promise<PassReport> {
  const result = await runAntivirusPass(raws, context);
  const statuses = Object.entries(result.statuses).map(([status, count]) => `${count} ${status}`);
  const isSameWork =
    result.objectsToClamd === base.objects && result.bytesToClamd === base.objectBytes;
  return {
    ...base,
    measurement: result.measurement,
    throughput: rate(base, result.measurement),
    results: `messages ${statuses.join(', ')}`,
    warning: isSameWork
      ? undefined
      : `the antivirus sent clamd ${result.objectsToClamd} objects of ` +
        `${result.bytesToClamd} bytes, not the ${base.objects} objects of ` +
        `${base.objectBytes} bytes rebuilt for the raw pass`,
  };
}

function rate(base: PassBase, measurement: Measurement) {
  return throughput(measurement, base.messages, base.messageBytes, base.objectBytes);
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
