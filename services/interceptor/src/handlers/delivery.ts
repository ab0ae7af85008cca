import {
  decodeRecord,
  extractTraceContext,
  getTracer,
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
import type { Deliverer } from '../adapters/deliverer.js';
import { planDelivery, type DeliveryPlan } from '../domain/delivery-plan.js';
import { InterceptorErrorCode, TempfailAfterQueueError } from '../errors.js';
import type { InterceptorMetrics } from '../metrics.js';

export interface DeliveryDeps {
  ledger: DeliveryLedger;
  deliverer: Deliverer;
  metrics: InterceptorMetrics;
  logger: Logger;
  instance: string;
}

const tracer = getTracer('mailshield-interceptor');

/**
 * The delivery consumer's batch handler. Records are handled in order; the batch resolves
 * (and the bus commits it) only after each record's result is in the fsynced ledger. A record
 * whose key is already in the ledger is skipped, so a record offered again is not delivered twice.
 */
export class DeliveryHandler {
  private readonly abort = new AbortController();

  constructor(private readonly deps: DeliveryDeps) {}

  readonly handleBatch = async (records: ConsumedRecord[]): Promise<void> => {
    for (const consumed of records) await this.handleRecord(consumed);
  };

  /** Makes a delivery that is retrying give up, so shutdown does not wait for the next hop. */
  stop(): void {
    this.abort.abort();
  }

  private async handleRecord(consumed: ConsumedRecord): Promise<void> {
    let record: MessageRecord;
    try {
      record = decodeRecord(consumed);
    } catch (err) {
      this.deps.metrics.errors.inc({ reason: InterceptorErrorCode.undecodableRecord });
      this.deps.logger.error(
        {
          err,
          event: 'delivery.undecodable',
          partition: consumed.partition,
          offset: consumed.offset,
        },
        'verdict record could not be decoded; skipped',
      );
      return;
    }
    const plan = planDelivery(record, consumed);
    const logger = this.deps.logger.child({ mail_id: record.id });
    if (plan.action === 'ignore') {
      logger.debug({ event: 'delivery.ignored', reason: plan.reason }, 'record not for delivery');
      return;
    }
    if (plan.action === 'retry') {
      this.deps.metrics.errors.inc({ reason: InterceptorErrorCode.tempfailAfterQueue });
      logger.error(
        { event: 'delivery.tempfail', reason: plan.reason },
        'verdict cannot be acted on; record kept',
      );
      throw new TempfailAfterQueueError(record.id);
    }
    if (this.deps.ledger.has(plan.key)) {
      this.deps.metrics.deliveries.inc({ result: 'skipped_duplicate' });
      logger.info(
        { event: 'delivery.duplicate', key: plan.key },
        'record already handled; skipped',
      );
      return;
    }
    await withSpan(
      tracer,
      'interceptor.deliver',
      extractTraceContext(record.traceContext),
      async (span) => {
        const outcome = await this.act(record, plan, traceIdOf(span), logger);
        await this.deps.ledger.append({
          key: plan.key,
          messageId: record.id,
          kind: recordKindToJSON(record.kind),
          outcome,
        });
        this.deps.metrics.deliveries.inc({ result: outcome.status });
        logger.info(
          { event: 'delivery.done', status: outcome.status, reason: outcome.reason },
          'delivery recorded',
        );
      },
    );
  }

  private async act(
    record: MessageRecord,
    plan: Extract<DeliveryPlan, { action: 'deliver' | 'record' }>,
    traceId: string,
    logger: Logger,
  ): Promise<StageOutcome> {
    const base = this.outcomeBase(record, traceId);
    if (plan.action === 'record') {
      return {
        ...base,
        status: plan.status,
        action: plan.status === 'held' ? 'hold' : 'drop',
        reason: plan.reason,
      };
    }
    if (plan.recipients.length === 0) {
      logger.error(
        { event: 'delivery.no_recipients' },
        'record has no recipients; nothing delivered',
      );
      return { ...base, status: 'dropped', action: 'drop', reason: 'NO_RECIPIENTS' };
    }
    const started = performance.now();
    const stopTimer = this.deps.metrics.deliveryDuration.startTimer();
    const result = await this.deps.deliverer.deliver(
      {
        key: plan.key,
        messageId: record.id,
        fileName: plan.fileName,
        mailFrom: record.envelope?.mailFrom ?? '',
        recipients: plan.recipients,
        raw: record.raw,
        logger,
      },
      this.abort.signal,
    );
    stopTimer();
    // NOTE: a bounced message (5xx from the next hop) produces no DSN to the sender yet.
    const bouncedNote =
      result.bouncedRecipients.length > 0
        ? `; bounced: ${result.bouncedRecipients.join(', ')}`
        : '';
    return {
      ...base,
      status: result.status,
      action: 'deliver',
      reason: result.status === 'bounced' ? InterceptorErrorCode.nextHopRejected : '',
      durationSeconds: (performance.now() - started) / 1000,
      findings: [
        {
          name: 'next_hop_reply',
          object: 'message',
          score: 0,
          detail: `${result.reply}${bouncedNote}`,
        },
      ],
    };
  }

  private outcomeBase(record: MessageRecord, traceId: string): StageOutcome {
    return {
      stage: Stage.STAGE_DELIVERY,
      scanner: this.deps.deliverer.kind,
      status: '',
      action: '',
      reason: '',
      durationSeconds: 0,
      policyVersion: Math.max(0, ...record.outcomes.map((outcome) => outcome.policyVersion)),
      findings: [],
      score: 0,
      at: new Date(),
      traceId,
      instance: this.deps.instance,
    };
  }
}
