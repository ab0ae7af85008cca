// CPU time from Linux's /proc, read only for this process and for clamd processes of this user.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';

const TCP_LISTEN_STATE = '0A';

/** Clock ticks per second of the times in /proc/<pid>/stat and /proc/stat. */
const clockTicksPerSecond = readClockTicks();

function readClockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    // Linux has used 100 on every common architecture for years.
    return 100;
  }
}

/** User and system CPU seconds of this process, all its threads included. */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/**
 * User and system CPU seconds of a process, all its threads included. Throws when the
 * process is gone, because a figure without it would be wrong.
 */
export function processCpuSeconds(pid: number): number {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name is in brackets and may contain spaces, so fields are counted after it.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [utime, stime] = fields.slice(11, 13).map(Number);
  return (utime! + stime!) / clockTicksPerSecond;
}

/** Busy CPU seconds of the whole machine since boot: every state but idle and iowait. */
export function machineBusySeconds(): number {
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1);
  const values = ticks.map(Number);
  const idle = values[3]! + values[4]!;
  return (values.reduce((sum, value) => sum + value, 0) - idle) / clockTicksPerSecond;
}

/**
 * Finds the process named `name` of this user that listens on a TCP port, through the inode
 * of the listening socket; undefined when none does.
 */
export function ownListenerPid(port: number, name: string): number | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  return ownProcesses(name).find((pid) => holdsSocket(pid, inodes));
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

/** Ids of the processes of this user whose command name is `name`. */
function ownProcesses(name: string): number[] {
  const uid = process.getuid?.();
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        if (statSync(`/proc/${pid}`).uid !== uid) return false;
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
      } catch {
        return false;
      }
    });
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
