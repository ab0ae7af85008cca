import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '@mailshield/common';
import { StageOutcome } from '@mailshield/proto/message';

/** One line of the delivery ledger: what one record did for one delivery. */
export interface LedgerEntry {
  /** Key of the delivery: the message id, or a release key for a release from Backup. */
  key: string;
  messageId: string;
  /** Record kind as its proto name, such as RECORD_KIND_MESSAGE. */
  kind: string;
  /** Attempt of the record: 0 for a verdict record, n for the n-th delivery-retry record. */
  attempt: number;
  /** Recipients whose delivery ended with this entry: accepted, bounced or expired. */
  finished: string[];
  /**
   * Recipients this attempt is done with: finished, or handed on to the next retry record.
   * Empty in the progress entry written as soon as the next hop accepted some recipients.
   */
  handled: string[];
  /** True for a record that needs no delivery (dropped, held): the whole key is done. */
  isClosed: boolean;
  outcome: StageOutcome;
}

/** Line format on disk. Lines written before per-recipient entries have only the first four. */
interface LedgerLine {
  key: string;
  message_id: string;
  kind: string;
  outcome: unknown;
  attempt?: number;
  finished?: string[];
  handled?: string[];
  closed?: boolean;
}

interface DeliveryState {
  finished: Set<string>;
  /** Recipients handled, per attempt number. */
  handled: Map<number, Set<string>>;
}

/**
 * The append-only delivery ledger: JSON lines, fsynced before the bus commits a record's
 * offset, and loaded into memory at start. Per delivery key it tracks which recipients are
 * finished and which ones each attempt handled, so neither a record offered again (after a
 * crash or a rebalance) nor a duplicate delivery-retry record sends to a recipient twice.
 *
 * NOTE: the ledger is local to one interceptor instance. With several instances in one Kafka
 * consumer group, a record that moves to another instance in a rebalance before its offset is
 * committed can be delivered once by each. A delivery-retry record lists only the recipients
 * still pending, so the recipients accepted before it was written are safe on any instance.
 */
export class DeliveryLedger {
  private readonly closed = new Set<string>();
  private readonly deliveries = new Map<string, DeliveryState>();
  private file: FileHandle | undefined;

  constructor(
    private readonly path: string,
    private readonly logger: Logger,
  ) {}

  async open(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    await this.load();
    this.file = await open(this.path, 'a');
  }

  /** True when a record with this key needs no further action. */
  isClosed(key: string): boolean {
    return this.closed.has(key);
  }

  /**
   * Returns the recipients that attempt `attempt` of delivery `key` still has to deal with:
   * `recipients` without duplicates, without finished ones and without those that the same
   * attempt already handled.
   */
  pendingRecipients(key: string, attempt: number, recipients: string[]): string[] {
    if (this.closed.has(key)) return [];
    const state = this.deliveries.get(key);
    const handled = state?.handled.get(attempt);
    return [...new Set(recipients)].filter(
      (recipient) => !state?.finished.has(recipient) && !handled?.has(recipient),
    );
  }

  /** Appends the entry and fsyncs; resolves only once it is on disk. */
  async append(entry: LedgerEntry): Promise<void> {
    if (this.file === undefined) throw new Error('the delivery ledger is not open');
    const line: LedgerLine = {
      key: entry.key,
      message_id: entry.messageId,
      kind: entry.kind,
      attempt: entry.attempt,
      finished: entry.finished,
      handled: entry.handled,
      closed: entry.isClosed,
      outcome: StageOutcome.toJSON(entry.outcome),
    };
    await this.file.write(`${JSON.stringify(line)}\n`);
    await this.file.datasync();
    this.apply(line);
  }

  async close(): Promise<void> {
    await this.file?.close();
    this.file = undefined;
  }

  private apply(line: LedgerLine): void {
    // A line without an attempt predates per-recipient entries and closed its whole key.
    if (line.closed === true || line.attempt === undefined) {
      this.closed.add(line.key);
      this.deliveries.delete(line.key);
      return;
    }
    let state = this.deliveries.get(line.key);
    if (state === undefined) {
      state = { finished: new Set(), handled: new Map() };
      this.deliveries.set(line.key, state);
    }
    for (const recipient of line.finished ?? []) state.finished.add(recipient);
    const handled = state.handled.get(line.attempt) ?? new Set<string>();
    for (const recipient of line.handled ?? []) handled.add(recipient);
    state.handled.set(line.attempt, handled);
  }

  private async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    let entries = 0;
    text.split('\n').forEach((line, index) => {
      if (line === '') return;
      try {
        this.apply(JSON.parse(line) as LedgerLine);
        entries += 1;
      } catch (err) {
        // A crash in the middle of an append leaves a partial last line. Its record was not
        // committed, so it is offered again and delivered again (at least once, never lost).
        this.logger.warn(
          { err, event: 'ledger.bad_line', line: index + 1, path: this.path },
          'unreadable ledger line skipped',
        );
      }
    });
    this.logger.info(
      { event: 'ledger.loaded', entries, path: this.path },
      'delivery ledger loaded',
    );
  }
}
