import {
  decodeRecord,
  extractTraceContext,
  getTracer,
  RetryLaterError,
  traceIdOf,
  withSpan,
  type ConsumedRecord,
  type Logger,
} from '@mailshield/common';
import {
  recordKindToJSON,
  Stage,
  type MessageRecord,
  type StageOutcome,
} from '@mailshield/proto/message';
import type { DeliveryLedger } from '../adapters/delivery-ledger.js';
import { planDelivery } from '../domain/delivery-plan.js';
import { InterceptorErrorCode, TempfailAfterQueueError } from '../errors.js';
import type { InterceptorMetrics } from '../metrics.js';
import type { DeliverySender } from './delivery-sender.js';

export interface DeliveryDeps {
  ledger: DeliveryLedger;
  sender: DeliverySender;
  metrics: InterceptorMetrics;
  logger: Logger;
  instance: string;
}

const tracer = getTracer('mailshield-interceptor');

/** Wait before a batch left unfinished at shutdown is offered again, if the consumer still runs. */
const STOPPING_RETRY_MS = 1000;

/**
 * Handles the records of a batch one after the other. Once delivery is stopping, it leaves the
 * rest of the batch uncommitted, so the bus offers it again after a restart.
 */
export async function handleInOrder(
  records: ConsumedRecord[],
  sender: Pick<DeliverySender, 'isStopping'>,
  handleRecord: (consumed: ConsumedRecord) => Promise<void>,
): Promise<void> {
  for (const consumed of records) {
    if (sender.isStopping) {
      throw new RetryLaterError(STOPPING_RETRY_MS, 'delivery is stopping; batch left uncommitted');
    }
    await handleRecord(consumed);
  }
}

/**
 * The batch handler of the delivery consumer on the verdict topic. Records are handled in
 * order; the batch resolves (and the bus commits it) only after each record's result is
 * durable. A deferred recipient does not hold the batch: it goes to the delivery-retry topic.
 */
export class DeliveryHandler {
  constructor(private readonly deps: DeliveryDeps) {}

  readonly handleBatch = (records: ConsumedRecord[]): Promise<void> =>
    handleInOrder(records, this.deps.sender, (consumed) => this.handleRecord(consumed));

  private async handleRecord(consumed: ConsumedRecord): Promise<void> {
    const record = decodeOrSkip(consumed, this.deps);
    if (record === undefined) return;
    const plan = planDelivery(record, consumed);
    const logger = this.deps.logger.child({ mail_id: record.id });
    switch (plan.action) {
      case 'ignore':
        logger.debug({ event: 'delivery.ignored', reason: plan.reason }, 'record not for delivery');
        return;
      case 'retry':
        this.deps.metrics.errors.inc({ reason: InterceptorErrorCode.tempfailAfterQueue });
        logger.error(
          { event: 'delivery.tempfail', reason: plan.reason },
          'verdict cannot be acted on; record kept',
        );
        throw new TempfailAfterQueueError(record.id);
      case 'record':
        return this.close(record, plan.key, plan.status, plan.reason, logger);
      case 'deliver':
        if (plan.recipients.length === 0) {
          logger.error(
            { event: 'delivery.no_recipients' },
            'record has no recipients; nothing delivered',
          );
          return this.close(record, plan.key, 'dropped', 'NO_RECIPIENTS', logger);
        }
        if ((await this.deps.sender.send(record, plan, logger)) === 'duplicate') {
          this.duplicate(plan.key, logger);
        }
    }
  }

  /** Records a message that is not delivered (dropped or held) as done for its whole key. */
  private async close(
    record: MessageRecord,
    key: string,
    status: 'dropped' | 'held',
    reason: string,
    logger: Logger,
  ): Promise<void> {
    if (this.deps.ledger.isClosed(key)) {
      this.duplicate(key, logger);
      return;
    }
    const parent = extractTraceContext(record.traceContext);
    await withSpan(tracer, 'interceptor.deliver', parent, async (span) => {
      const outcome: StageOutcome = {
        stage: Stage.STAGE_DELIVERY,
        scanner: 'delivery',
        status,
        action: status === 'held' ? 'hold' : 'drop',
        reason,
        durationSeconds: 0,
        policyVersion: Math.max(0, ...record.outcomes.map((outcome) => outcome.policyVersion)),
        findings: [],
        score: 0,
        at: new Date(),
        traceId: traceIdOf(span),
        instance: this.deps.instance,
      };
      await this.deps.ledger.append({
        key,
        messageId: record.id,
        kind: recordKindToJSON(record.kind),
        attempt: record.deliveryAttempts,
        finished: [],
        handled: [],
        isClosed: true,
        outcome,
      });
    });
    this.deps.metrics.deliveries.inc({ result: status });
    logger.info({ event: 'delivery.done', status, reason }, 'delivery recorded');
  }

  private duplicate(key: string, logger: Logger): void {
    this.deps.metrics.deliveries.inc({ result: 'skipped_duplicate' });
    logger.info({ event: 'delivery.duplicate', key }, 'record already handled; skipped');
  }
}

/**
 * Decodes a consumed record. An undecodable record can never be delivered, so it is counted,
 * logged and skipped rather than retried forever.
 */
export function decodeOrSkip(
  consumed: ConsumedRecord,
  deps: { metrics: InterceptorMetrics; logger: Logger },
): MessageRecord | undefined {
  try {
    return decodeRecord(consumed);
  } catch (err) {
    deps.metrics.errors.inc({ reason: InterceptorErrorCode.undecodableRecord });
    deps.logger.error(
      {
        err,
        event: 'delivery.undecodable',
        topic: consumed.topic,
        partition: consumed.partition,
        offset: consumed.offset,
      },
      'record could not be decoded; skipped',
    );
    return undefined;
  }
}
