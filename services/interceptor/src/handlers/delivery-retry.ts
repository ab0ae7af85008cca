import { RetryLaterError, type ConsumedRecord, type Logger } from '@mailshield/common';
import { planRetry } from '../domain/delivery-plan.js';
import { retryWaitMs, type RetrySchedule } from '../domain/delivery-retry.js';
import type { InterceptorMetrics } from '../metrics.js';
import { decodeOrSkip, handleInOrder } from './delivery.js';
import type { DeliverySender } from './delivery-sender.js';

export interface DeliveryRetryDeps {
  sender: DeliverySender;
  metrics: InterceptorMetrics;
  logger: Logger;
  schedule: RetrySchedule;
}

/**
 * The batch handler of the consumer on the delivery-retry topic. Every record there was
 * written with the same delay, so each partition is in due order. The handler delivers the
 * due records in order. At the first record that is not due, it throws RetryLaterError, so
 * the bus waits until that record is due and offers the batch again. Records of the batch
 * that were already handled come again with it, and the ledger skips them.
 */
export class DeliveryRetryHandler {
  constructor(private readonly deps: DeliveryRetryDeps) {}

  readonly handleBatch = (records: ConsumedRecord[]): Promise<void> =>
    handleInOrder(records, this.deps.sender, (consumed) => this.handleRecord(consumed));

  private async handleRecord(consumed: ConsumedRecord): Promise<void> {
    const record = decodeOrSkip(consumed, this.deps);
    if (record === undefined) return;
    const waitMs = retryWaitMs(record, Date.now(), this.deps.schedule);
    if (waitMs > 0) throw new RetryLaterError(waitMs);
    const logger = this.deps.logger.child({ mail_id: record.id });
    const plan = planRetry(record);
    if (plan.action !== 'deliver') {
      logger.error(
        { event: 'delivery.retry_ignored', reason: plan.reason },
        'delivery-retry record cannot be delivered; skipped',
      );
      return;
    }
    const result = await this.deps.sender.send(record, plan, logger);
    if (result === 'duplicate') {
      logger.debug(
        { event: 'delivery.retry_duplicate', key: plan.key, attempt: record.deliveryAttempts },
        'delivery-retry record already handled; skipped',
      );
    }
  }
}
