import {
  listenerPid,
  ownCpuSeconds,
  parseHostPort,
  readMachineBusySeconds,
  readProcessStat,
} from '@mailshield/common';
import type { Pipeline } from '../test/harness/pipeline.js';
import { processTree } from './proc.js';

/** CPU seconds used so far by each group of processes. */
export type CpuSnapshot = Record<string, number>;

/** A named group of processes whose CPU time is added up. */
export interface CpuGroup {
  name: string;
  /** A process of the gateway itself, or a part it uses such as clamd. */
  kind: 'gateway' | 'part';
  /** Current members; called at every snapshot, because worker processes come and go. */
  pids: () => number[];
}

/** Name of the group for the benchmark process itself: load generator and next-hop sink. */
export const BENCH_GROUP = 'bench';
/** Name of the busy time of the whole machine, other people's processes included. */
export const MACHINE_GROUP = 'machine';

/** Takes snapshots of the CPU time of process groups, read from /proc. */
export class CpuMeter {
  constructor(private readonly groups: CpuGroup[]) {}

  snapshot(): CpuSnapshot {
    const snapshot: CpuSnapshot = {};
    for (const group of this.groups) {
      snapshot[group.name] = group
        .pids()
        .reduce((sum, pid) => sum + (readProcessStat(pid)?.cpuSecondsWithChildren ?? 0), 0);
    }
    snapshot[BENCH_GROUP] = ownCpuSeconds();
    snapshot[MACHINE_GROUP] = readMachineBusySeconds();
    return snapshot;
  }
}

/** CPU seconds each group used between two snapshots. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  const used: CpuSnapshot = {};
  for (const [name, seconds] of Object.entries(after)) used[name] = seconds - (before[name] ?? 0);
  return used;
}

/**
 * Lists the groups to measure in a mode: each of the gateway's own processes and the parts it uses
 * (clamd always; Kafka and PostgreSQL in kafka mode), each found by its listening port. A part
 * that is not found is left out and named in `missing`.
 */
export function stackGroups(
  pipeline: Pipeline,
  env: NodeJS.ProcessEnv,
): { groups: CpuGroup[]; missing: string[] } {
  const groups: CpuGroup[] = [...pipeline.processes.values()].map((service) => ({
    name: service.name,
    kind: 'gateway',
    pids: () => (service.pid === undefined ? [] : processTree(service.pid)),
  }));
  const missing: string[] = [];
  const parts: [string, number | undefined][] = [
    ['clamd', portOf(env['MAILSHIELD_CLAMD_ADDRESS'])],
  ];
  if (pipeline.mode === 'kafka') {
    parts.push(['kafka', portOf(env['MAILSHIELD_KAFKA_BROKERS']?.split(',')[0])]);
    parts.push(['postgresql', databasePort(env['MAILSHIELD_DATABASE_URL'])]);
  }
  for (const [name, port] of parts) {
    const root = port === undefined ? undefined : listenerPid(port);
    if (root === undefined) missing.push(name);
    else groups.push({ name, kind: 'part', pids: () => processTree(root) });
  }
  return { groups, missing };
}

function portOf(address: string | undefined): number | undefined {
  return address === undefined ? undefined : parseHostPort(address.trim())?.port;
}

function databasePort(url: string | undefined): number | undefined {
  if (url === undefined || url === '') return undefined;
  try {
    return Number(new URL(url).port || 5432);
  } catch {
    return undefined;
  }
}
