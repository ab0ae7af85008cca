import { setTimeout as sleep } from 'node:timers/promises';
import { getHeader } from '@mailshield/common';
import type { Pipeline } from '../test/harness/pipeline.js';
import type { SessionResult } from './smtp-session.js';

/** Outcome of the accepted messages of a phase, and the time the last one got there. */
export interface DrainResult {
  /** Wall-clock time (ms since the epoch) of the last delivery or backup; undefined on timeout. */
  drainedAt: number | undefined;
  delivered: Set<string>;
  backedUp: Set<string>;
  /** Accepted messages that were neither delivered nor backed up before the timeout. */
  missing: number;
}

const POLL_MS = 50;
/** Listing Backup is a gRPC call, so it runs every poll only near the end. */
const BACKUP_POLL_EVERY = 10;
const BACKUP_POLL_BELOW = 50;

/**
 * Watches the next hop (the pipeline's SMTP sink) and Backup for the benchmark's messages.
 * Delivery times have the poll interval as resolution; backup times come from Backup itself.
 */
export class OutcomeTracker {
  private sinkIndex = 0;
  private duplicates = 0;
  private readonly deliveredAt = new Map<string, number>();

  constructor(
    private readonly pipeline: Pipeline,
    private readonly testIdPrefix: string,
  ) {}

  /** Extra copies of benchmark messages seen at the next hop so far. */
  get duplicateCount(): number {
    return this.duplicates;
  }

  /** Waits until every message accepted with a 250 reply is delivered or backed up. */
  async waitForAll(sent: SessionResult[], timeoutMs: number): Promise<DrainResult> {
    const pending = new Map<string, string | undefined>();
    for (const result of sent) if (result.code === 250) pending.set(result.testId, result.queueId);
    const outcome = { delivered: new Set<string>(), backedUp: new Set<string>(), lastAt: 0 };
    const deadline = Date.now() + timeoutMs;
    for (let poll = 0; pending.size > 0 && Date.now() < deadline; poll += 1) {
      this.readSink();
      for (const testId of pending.keys()) {
        const at = this.deliveredAt.get(testId);
        if (at === undefined) continue;
        pending.delete(testId);
        outcome.delivered.add(testId);
        outcome.lastAt = Math.max(outcome.lastAt, at);
      }
      if (pending.size > 0 && (pending.size <= BACKUP_POLL_BELOW || poll % BACKUP_POLL_EVERY === 0))
        await this.readBackups(pending, outcome);
      if (pending.size > 0) await sleep(POLL_MS);
    }
    return {
      drainedAt: pending.size === 0 ? outcome.lastAt : undefined,
      delivered: outcome.delivered,
      backedUp: outcome.backedUp,
      missing: pending.size,
    };
  }

  private readSink(): void {
    const messages = this.pipeline.sink.messages;
    const now = Date.now();
    for (; this.sinkIndex < messages.length; this.sinkIndex += 1) {
      const testId = getHeader(messages[this.sinkIndex]!.raw, 'X-Test-Id') ?? '';
      if (!testId.startsWith(this.testIdPrefix)) continue;
      if (this.deliveredAt.has(testId)) this.duplicates += 1;
      else this.deliveredAt.set(testId, now);
    }
  }

  private async readBackups(
    pending: Map<string, string | undefined>,
    outcome: { backedUp: Set<string>; lastAt: number },
  ): Promise<void> {
    const byId = new Map((await this.pipeline.listBackups()).map((entry) => [entry.id, entry]));
    for (const [testId, queueId] of pending) {
      const entry = queueId === undefined ? undefined : byId.get(queueId);
      if (entry === undefined) continue;
      pending.delete(testId);
      outcome.backedUp.add(testId);
      outcome.lastAt = Math.max(outcome.lastAt, entry.storedAt?.getTime() ?? Date.now());
    }
  }
}
