import {
  decodeRecord,
  encodeRecord,
  Topics,
  type BusRecord,
  type ConsumedRecord,
  type Logger,
  type MessageBus,
  type Subscription,
} from '@mailshield/common';
import type { MessageRecord } from '@mailshield/proto/message';
import type { Policy } from '@mailshield/proto/policy';
import type { BackupStore } from '@mailshield/common';
import { mapWithConcurrency } from './concurrency.js';
import { AntispamReason } from './errors.js';
import type { AntispamMetrics } from './metrics.js';
import { processRecord, type StageDeps } from './stage.js';

/** Consumer group of the antispam stage on the scanned topic. */
export const ANTISPAM_GROUP = 'mailshield-antispam';

export interface ConsumerOptions {
  bus: MessageBus;
  stage: StageDeps;
  backup: BackupStore;
  /** The policy in force when each batch starts. */
  currentPolicy: () => Policy;
  /** Messages scored at the same time within one batch. */
  concurrency: number;
  logger: Logger;
  metrics: AntispamMetrics;
}

function decodeOrDrop(
  consumed: ConsumedRecord,
  options: ConsumerOptions,
): MessageRecord | undefined {
  try {
    return decodeRecord(consumed);
  } catch (err) {
    // A record that is not a MessageRecord carries no message that could be delivered, and
    // retrying it would block its partition forever, so it is logged and skipped.
    options.metrics.errors.inc({ reason: AntispamReason.recordInvalid });
    options.logger.error(
      {
        err,
        event: 'antispam.record_invalid',
        topic: consumed.topic,
        partition: consumed.partition,
        offset: consumed.offset,
      },
      'dropped a record that is not a MessageRecord',
    );
    return undefined;
  }
}

/**
 * Handles one batch: score every record with bounded concurrency, publish all results to the
 * verdicts topic in one call, and resolve only after that publish is durable. Any failure
 * (Backup.Store, publish) throws, so the bus offers the whole batch again.
 */
export async function handleScannedBatch(
  records: ConsumedRecord[],
  options: ConsumerOptions,
): Promise<void> {
  const policy = options.currentPolicy();
  const decoded = records
    .map((consumed) => decodeOrDrop(consumed, options))
    .filter((record) => record !== undefined);
  const outputs = await mapWithConcurrency(decoded, options.concurrency, (record) =>
    processRecord(record, policy, options.stage, { backup: options.backup }),
  );
  if (outputs.length === 0) return;
  const busRecords: BusRecord[] = outputs.map(encodeRecord);
  try {
    await options.bus.publish(Topics.verdicts, busRecords);
  } catch (err) {
    options.metrics.errors.inc({ reason: AntispamReason.publishFailed });
    options.logger.warn(
      { err, event: 'antispam.publish_failed', records: outputs.length },
      'publishing verdicts failed, so the batch will be retried',
    );
    throw err;
  }
}

/** Subscribes the antispam stage to the scanned topic. */
export function startConsumer(options: ConsumerOptions): Promise<Subscription> {
  return options.bus.subscribe({
    topic: Topics.scanned,
    groupId: ANTISPAM_GROUP,
    handleBatch: async (records) => {
      try {
        await handleScannedBatch(records, options);
      } catch (err) {
        options.logger.warn(
          { err, event: 'antispam.batch_failed', records: records.length },
          'batch failed and will be offered again',
        );
        throw err;
      }
    },
  });
}
