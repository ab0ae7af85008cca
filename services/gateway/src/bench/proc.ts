// Process facts from Linux's /proc. Processes may exit between two reads, so every reader
// treats a vanished process as absent instead of failing.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const TCP_LISTEN = '0A';

/** Clock ticks per second of the times in /proc/<pid>/stat. */
export const clockTicksPerSecond = readClockTicks();

function readClockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    // Linux has used 100 on every common architecture for years.
    return 100;
  }
}

export interface ProcessStat {
  ppid: number;
  /** User and system time of the process and of its reaped children, in seconds. */
  cpuSeconds: number;
}

/** Reads the parent and CPU time of a process; returns undefined when it no longer exists. */
export function readStat(pid: number): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in brackets and may contain spaces, so fields are counted after it.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
  return {
    ppid: Number(fields[1]),
    cpuSeconds: (utime! + stime! + cutime! + cstime!) / clockTicksPerSecond,
  };
}

/** CPU seconds all cores of the machine spent busy since boot, for every process together. */
export function readMachineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  // cpu user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const idle = ticks[3]! + ticks[4]!;
  return (ticks.reduce((sum, value) => sum + value, 0) - idle) / clockTicksPerSecond;
}

/** Ids of every running process. */
export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Lists the process and all its descendants, as they are now. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const stat = readStat(pid);
    if (stat !== undefined) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), pid]);
  }
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** Finds the process that listens on a TCP port through the socket's inode. */
export function listenerPid(port: number): number | undefined {
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
      if (localPort === port && fields[3] === TCP_LISTEN) inodes.add(fields[9]!);
    }
  }
  if (inodes.size === 0) return undefined;
  return allPids().find((pid) => ownsSocket(pid, inodes));
}

function ownsSocket(pid: number, inodes: Set<string>): boolean {
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

/** Ids of processes whose command line matches `pattern`. */
export function pidsRunning(pattern: RegExp): number[] {
  return allPids().filter((pid) => {
    try {
      return pattern.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      return false;
    }
  });
}
