import { availableParallelism, cpus, loadavg, release } from 'node:os';

/** The machine a run measured, printed with every result because figures depend on it. */
export interface MachineFacts {
  cores: number;
  cpuModel: string;
  node: string;
  kernel: string;
  date: string;
  /** Load average over 1, 5 and 15 minutes at the start, which shows other work on the host. */
  loadAverage: number[];
}

/** Reads the facts of this machine and the time now. */
export function machineFacts(): MachineFacts {
  return {
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    kernel: release(),
    date: new Date().toISOString(),
    loadAverage: loadavg().map((value) => Number(value.toFixed(2))),
  };
}

/** Formats the machine facts as the one line that heads a benchmark's output. */
export function formatMachine(machine: MachineFacts): string {
  return (
    `machine: ${machine.cores} cores (${machine.cpuModel}), Node ${machine.node}, ` +
    `Linux ${machine.kernel}, ${machine.date}, load average ${machine.loadAverage.join(' ')}`
  );
}
