import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MixMessage } from './mix.js';
import { sendInOwnConnection, type SessionResult } from './smtp-session.js';

/** The sessions of one load phase. */
export interface LoadResult {
  results: SessionResult[];
  /** Wall-clock times (ms since the epoch) of the first connect and of the last reply. */
  startedAt: number;
  endedAt: number;
  /** Largest number of connections open at once. */
  maxInFlight: number;
  /** Paced phase only: connections opened more than LATE_MS after their planned time. */
  lateStarts: number;
}

/** A paced connection that starts later than this counts as late. */
export const LATE_MS = 10;

/**
 * Closed loop: `sessions` workers, each sending one message per connection and opening the
 * next connection as soon as the last one closed. Stops when the messages run out or, when
 * `deadline` (ms since the epoch) is set, when it passes.
 */
export async function runClosedLoop(
  port: number,
  messages: MixMessage[],
  sessions: number,
  deadline = Number.POSITIVE_INFINITY,
): Promise<LoadResult> {
  const results: SessionResult[] = [];
  const startedAt = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < messages.length && Date.now() < deadline) {
      results.push(await sendInOwnConnection(port, messages[next++]!));
    }
  };
  await Promise.all(Array.from({ length: sessions }, worker));
  const maxInFlight = Math.min(sessions, messages.length);
  return { results, startedAt, endedAt: Date.now(), maxInFlight, lateStarts: 0 };
}

/**
 * Open loop: opens a new connection every 1/`ratePerSecond` seconds whatever the replies do,
 * as independent senders would. At most `maxInFlight` connections are open at once, so a
 * stalled gateway cannot make the generator open thousands. Starts held back by that limit
 * count as late.
 */
export async function runPaced(
  port: number,
  messages: MixMessage[],
  ratePerSecond: number,
  maxInFlight: number,
): Promise<LoadResult> {
  const results: SessionResult[] = [];
  const open = new Set<Promise<void>>();
  const startedAt = Date.now();
  const origin = performance.now();
  let lateStarts = 0;
  let peakInFlight = 0;
  for (const [index, message] of messages.entries()) {
    const due = origin + (index * 1000) / ratePerSecond;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    while (open.size >= maxInFlight) await Promise.race(open);
    if (performance.now() - due > LATE_MS) lateStarts += 1;
    const session: Promise<void> = sendInOwnConnection(port, message).then((result) => {
      results.push(result);
      open.delete(session);
    });
    open.add(session);
    peakInFlight = Math.max(peakInFlight, open.size);
  }
  await Promise.all(open);
  return { results, startedAt, endedAt: Date.now(), maxInFlight: peakInFlight, lateStarts };
}
