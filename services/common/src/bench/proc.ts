// Process and machine CPU time from Linux's /proc, for the benchmarks. Processes may exit
// between two reads, so the readers of one process return undefined or false once it is gone.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** State of a listening socket in /proc/net/tcp and /proc/net/tcp6. */
const TCP_LISTEN_STATE = '0A';

let clockTicks: number | undefined;

/**
 * Returns the clock ticks per second of the times in /proc/<pid>/stat and /proc/stat. Reads it
 * once, on first use, so that importing this package runs no `getconf`.
 */
export function clockTicksPerSecond(): number {
  clockTicks ??= readClockTicks();
  return clockTicks;
}

function readClockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    // Linux has used 100 on every common architecture for years.
    return 100;
  }
}

/** Parent and CPU time of a process, from /proc/<pid>/stat. */
export interface ProcessStat {
  ppid: number;
  /** User and system seconds of the process, all its threads included. */
  cpuSeconds: number;
  /** `cpuSeconds` plus the user and system seconds of the children it has reaped. */
  cpuSecondsWithChildren: number;
}

/** Reads the parent and CPU time of a process. Returns undefined when it no longer exists. */
export function readProcessStat(pid: number): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in brackets and may contain spaces, so fields are counted after it.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  const ticks = clockTicksPerSecond();
  return {
    ppid: Number(fields[1]),
    cpuSeconds: (utime! + stime!) / ticks,
    cpuSecondsWithChildren: (utime! + stime! + cutime! + cstime!) / ticks,
  };
}

/** User and system CPU seconds of this process, all its threads included. */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** CPU seconds all cores of the machine spent busy since boot, for every process together. */
export function readMachineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  // cpu user nice system idle iowait irq softirq steal: idle and iowait are not busy. The
  // guest columns after steal are left out because Linux already counts them in user and nice.
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const idle = ticks[3]! + ticks[4]!;
  return (ticks.reduce((sum, value) => sum + value, 0) - idle) / clockTicksPerSecond();
}

/** Ids of every running process. */
export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/**
 * Finds the process that listens on a TCP port, through the inode of the listening socket.
 * Only processes for which `accepts` returns true are searched. Returns undefined when none of
 * them listens on the port.
 */
export function listenerPid(
  port: number,
  accepts: (pid: number) => boolean = () => true,
): number | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  return allPids().find((pid) => accepts(pid) && holdsSocket(pid, inodes));
}

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let lines: string[];
    try {
      lines = readFileSync(table, 'utf8').trim().split('\n').slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      const localPort = parseInt(fields[1]!.split(':')[1]!, 16);
      if (localPort === port && fields[3] === TCP_LISTEN_STATE) inodes.add(fields[9]!);
    }
  }
  return inodes;
}

function holdsSocket(pid: number, inodes: Set<string>): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  return fds.some((fd) => {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      return target.startsWith('socket:[') && inodes.has(target.slice(8, -1));
    } catch {
      return false;
    }
  });
}
