import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '@mailshield/common';
import { StageOutcome } from '@mailshield/proto/message';

/** Delivery result of one record. A record with a `key` already in the ledger is a duplicate. */
export interface LedgerEntry {
  key: string;
  messageId: string;
  /** Record kind as its proto name, such as RECORD_KIND_MESSAGE. */
  kind: string;
  outcome: StageOutcome;
}

/**
 * The append-only delivery ledger: one JSON line per delivered, dropped, held or bounced record,
 * fsynced before the bus commits the record's offset. Loaded into memory at start, so a record
 * offered again (after a crash or a rebalance) is recognized and not delivered twice.
 *
 * NOTE: the ledger is local to one interceptor instance. With several instances in one Kafka
 * consumer group, a record that moves to another instance in a rebalance before its offset is
 * committed can be delivered once by each.
 */
export class DeliveryLedger {
  private readonly keys = new Set<string>();
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

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Appends the entry and fsyncs; resolves only once it is on disk. */
  async append(entry: LedgerEntry): Promise<void> {
    if (this.file === undefined) throw new Error('the delivery ledger is not open');
    const line = JSON.stringify({
      key: entry.key,
      message_id: entry.messageId,
      kind: entry.kind,
      outcome: StageOutcome.toJSON(entry.outcome),
    });
    await this.file.write(`${line}\n`);
    await this.file.datasync();
    this.keys.add(entry.key);
  }

  async close(): Promise<void> {
    await this.file?.close();
    this.file = undefined;
  }

  private async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const lines = text.split('\n');
    lines.forEach((line, index) => {
      if (line === '') return;
      try {
        this.keys.add((JSON.parse(line) as { key: string }).key);
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
      { event: 'ledger.loaded', entries: this.keys.size, path: this.path },
      'delivery ledger loaded',
    );
  }
}
