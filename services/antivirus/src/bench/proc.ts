// CPU time of the clamd processes of this user, from Linux's /proc.
import { readFileSync, statSync } from 'node:fs';
import { listenerPid, readProcessStat } from '@mailshield/common';

/**
 * User and system CPU seconds of a process, all its threads included. Throws when the
 * process is gone, because a figure without it would be wrong.
 */
export function processCpuSeconds(pid: number): number {
  const stat = readProcessStat(pid);
  if (stat === undefined) {
    throw new Error(`process ${pid} has exited, so its CPU time cannot be read from /proc`);
  }
  return stat.cpuSeconds;
}

/**
 * Finds the process named `name` of this user that listens on a TCP port, through the inode
 * of the listening socket; undefined when none does.
 */
export function ownListenerPid(port: number, name: string): number | undefined {
  const uid = process.getuid?.();
  return listenerPid(port, (pid) => isOwnProcessNamed(pid, uid, name));
}

/** Returns true when the process belongs to user `uid` and its command name is `name`. */
function isOwnProcessNamed(pid: number, uid: number | undefined, name: string): boolean {
  try {
    if (statSync(`/proc/${pid}`).uid !== uid) return false;
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name;
  } catch {
    return false;
  }
}
