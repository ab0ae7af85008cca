// Process trees and command lines from Linux's /proc. Processes may exit between two reads, so
// every reader treats a vanished process as absent instead of failing.
import { readFileSync } from 'node:fs';
import { allPids, readProcessStat } from '@mailshield/common';

/** Lists the process and all its descendants, as they are now. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const stat = readProcessStat(pid);
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
