import { performance } from 'node:perf_hooks';
import { ownCpuSeconds, readMachineBusySeconds } from '@mailshield/common';
import { processCpuSeconds } from './proc.js';

/** Time and CPU of one timed pass. */
export interface Measurement {
  wallSeconds: number;
  /** CPU seconds of the benchmark process, which runs the antivirus code or the raw client. */
  ownCpuSeconds: number;
  /** CPU seconds of the clamd processes. */
  clamdCpuSeconds: number;
  /** Busy CPU seconds of the whole machine, which shows other work on it. */
  machineBusySeconds: number;
}

interface Snapshot {
  wallMs: number;
  own: number;
  clamd: number;
  machine: number;
}

/** Runs `work` and measures its wall time and the CPU time used meanwhile. */
export async function measure<T>(
  clamdPids: readonly number[],
  work: () => Promise<T>,
): Promise<{ result: T; measurement: Measurement }> {
  const before = snapshot(clamdPids);
  const result = await work();
  const after = snapshot(clamdPids);
  return {
    result,
    measurement: {
      wallSeconds: (after.wallMs - before.wallMs) / 1000,
      ownCpuSeconds: after.own - before.own,
      clamdCpuSeconds: after.clamd - before.clamd,
      machineBusySeconds: after.machine - before.machine,
    },
  };
}

function snapshot(clamdPids: readonly number[]): Snapshot {
  return {
    wallMs: performance.now(),
    own: ownCpuSeconds(),
    clamd: clamdPids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0),
    machine: readMachineBusySeconds(),
  };
}

/** Runs `work` for each index below `count`, with at most `concurrency` running at once. */
export async function runBounded(
  count: number,
  concurrency: number,
  work: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
