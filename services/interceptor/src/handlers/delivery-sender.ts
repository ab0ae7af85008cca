import {
  encodeRecord,
  extractTraceContext,
  getTracer,
  traceIdOf,
  Topics,
  withSpan,
  type Logger,
  type MessageBus,
} from '@mailshield/common';
import { recordKindToJSON, Stage, type MessageRecord } from '@mailshield/proto/message';
import type { StageOutcome } from '@mailshield/proto/message';
import type { BackupStore } from '@mailshield/common';
import type { DeliveryLedger, LedgerEntry } from '../adapters/delivery-ledger.js';
import type { Deliverer, RecipientReply } from '../adapters/deliverer.js';
import type { DeliveryPlan } from '../domain/delivery-plan.js';
import {
  buildBackupCopy,
  buildRetryRecord,
  isDeliveryExpired,
  type RetrySchedule,
} from '../domain/delivery-retry.js';
import { InterceptorErrorCode, RetryPublishFailedError } from '../errors.js';
import type { InterceptorMetrics } from '../metrics.js';
import {
  attemptOutcome,
  attemptStatuses,
  backupOutcome,
  type AttemptResults,
} from './delivery-outcome.js';

export interface DeliverySenderDeps {
  ledger: DeliveryLedger;
  deliverer: Deliverer;
  backup: BackupStore;
  bus: MessageBus;
  metrics: InterceptorMetrics;
  schedule: RetrySchedule;
  instance: string;
}

export type DeliveryTarget = Extract<DeliveryPlan, { action: 'deliver' }>;

const tracer = getTracer('mailshield-interceptor');

/**
 * One delivery attempt for a record of the verdict topic or of the delivery-retry topic,
 * shared by both consumers. Each recipient ends durably in one place before the record's
 * offset may commit: accepted ones in the ledger, bounced and expired ones in Backup, and
 * deferred ones in a delivery-retry record due one retry delay later.
 */
export class DeliverySender {
  private readonly abort = new AbortController();

  constructor(private readonly deps: DeliverySenderDeps) {}

  /** True once `stop` was called: consumers then leave the rest of their batch uncommitted. */
  get isStopping(): boolean {
    return this.abort.signal.aborted;
  }

  /** Makes a delivery that is retrying in process hand its recipients on at once. */
  stop(): void {
    this.abort.abort();
  }

  /**
   * Delivers `record` to the recipients of `target` that its attempt has not dealt with yet,
   * by the ledger. Resolves with 'duplicate' when there are none. Throws when Backup or the
   * bus fails, so the record is offered again; recipients accepted before stay in the ledger.
   */
  async send(
    record: MessageRecord,
    target: DeliveryTarget,
    logger: Logger,
  ): Promise<'sent' | 'duplicate'> {
    const attempt = record.deliveryAttempts;
    const recipients = this.deps.ledger.pendingRecipients(target.key, attempt, target.recipients);
    if (recipients.length === 0) return 'duplicate';
    const parent = extractTraceContext(record.traceContext);
    await withSpan(tracer, 'interceptor.deliver', parent, async (span) => {
      span.setAttribute('mailshield.delivery_attempt', attempt);
      const started = performance.now();
      const results = await this.transmit(record, target, recipients, logger);
      const base: StageOutcome = {
        ...this.outcomeBase(record, traceIdOf(span)),
        durationSeconds: (performance.now() - started) / 1000,
      };
      await this.settle(record, target, recipients, results, base, logger);
    });
    return 'sent';
  }

  /** Hands the message to the deliverer and splits off the deferred recipients that expired. */
  private async transmit(
    record: MessageRecord,
    target: DeliveryTarget,
    recipients: string[],
    logger: Logger,
  ): Promise<AttemptResults> {
    const stopTimer = this.deps.metrics.deliveryDuration.startTimer();
    const result = await this.deps.deliverer.deliver(
      {
        messageId: record.id,
        fileName: target.fileName,
        mailFrom: record.envelope?.mailFrom ?? '',
        recipients,
        raw: record.raw,
        logger,
      },
      this.abort.signal,
    );
    stopTimer();
    const isExpired =
      result.deferred.length > 0 && isDeliveryExpired(record, Date.now(), this.deps.schedule);
    return {
      accepted: result.accepted,
      bounced: result.bounced,
      deferred: isExpired ? [] : result.deferred,
      expired: isExpired ? result.deferred : [],
    };
  }

  /** Makes every recipient's result durable, then writes the attempt's final ledger entry. */
  private async settle(
    record: MessageRecord,
    target: DeliveryTarget,
    recipients: string[],
    results: AttemptResults,
    base: StageOutcome,
    logger: Logger,
  ): Promise<void> {
    const accepted = results.accepted.map((entry) => entry.recipient);
    const givenUp = [...results.bounced, ...results.expired];
    const isPartial = givenUp.length > 0 || results.deferred.length > 0;
    if (isPartial && accepted.length > 0) {
      // Written before the slower steps below: if one of them fails, the record comes again
      // and must not send to these recipients a second time.
      const progress = { ...results, bounced: [], deferred: [], expired: [] };
      await this.appendEntry(record, target, accepted, [], attemptOutcome(base, progress));
    }
    if (givenUp.length > 0) {
      await this.storeInBackup(record, results, base, logger);
    }
    if (results.deferred.length > 0) {
      await this.handOff(record, target.key, results.deferred, logger);
    }
    const finished = [...accepted, ...givenUp.map((entry) => entry.recipient)];
    const outcome = attemptOutcome(base, results);
    await this.appendEntry(record, target, finished, recipients, outcome);
    for (const result of attemptStatuses(results)) this.deps.metrics.deliveries.inc({ result });
    logger.info(
      {
        event: 'delivery.done',
        status: outcome.status,
        reason: outcome.reason,
        attempt: record.deliveryAttempts,
        accepted: accepted.length,
        bounced: results.bounced.length,
        expired: results.expired.length,
        deferred: results.deferred.length,
      },
      'delivery recorded',
    );
  }

  private async appendEntry(
    record: MessageRecord,
    target: DeliveryTarget,
    finished: string[],
    handled: string[],
    outcome: StageOutcome,
  ): Promise<void> {
    const entry: LedgerEntry = {
      key: target.key,
      messageId: record.id,
      kind: recordKindToJSON(record.kind),
      attempt: record.deliveryAttempts,
      finished,
      handled,
      isClosed: false,
      outcome,
    };
    await this.deps.ledger.append(entry);
  }

  /**
   * Stores the message in Backup for the recipients given up (bounced or expired), so an
   * administrator can release it. Throws when Backup.Store fails: nothing is let go unstored.
   */
  private async storeInBackup(
    record: MessageRecord,
    results: AttemptResults,
    base: StageOutcome,
    logger: Logger,
  ): Promise<void> {
    const recipients = [...results.bounced, ...results.expired].map((entry) => entry.recipient);
    const outcome = backupOutcome(base, results);
    let isCreated: boolean;
    try {
      isCreated = await this.deps.backup.store(buildBackupCopy(record, recipients), outcome);
    } catch (err) {
      this.deps.metrics.errors.inc({ reason: InterceptorErrorCode.backupFailed });
      throw err;
    }
    // Known gap: no DSN goes back to the sender of a bounced or expired message, so the sender
    // gets no notice. The message waits in Backup, with the next hop's replies in its outcome,
    // until an administrator releases it.
    logger.info(
      {
        event: 'delivery.backed_up',
        status: outcome.status,
        created: isCreated,
        recipients: recipients.length,
      },
      isCreated
        ? 'undeliverable message stored in Backup'
        : 'undeliverable message already in Backup; the first copy is kept',
    );
  }

  /** Publishes the delivery-retry record for the deferred recipients; durable once it resolves. */
  private async handOff(
    record: MessageRecord,
    key: string,
    deferred: RecipientReply[],
    logger: Logger,
  ): Promise<void> {
    const recipients = deferred.map((entry) => entry.recipient);
    const retry = buildRetryRecord(record, key, recipients, Date.now(), this.deps.schedule);
    try {
      await this.deps.bus.publish(Topics.deliveryRetry, [encodeRecord(retry)]);
    } catch (err) {
      this.deps.metrics.errors.inc({ reason: InterceptorErrorCode.retryPublishFailed });
      throw new RetryPublishFailedError(
        `could not write the delivery-retry record of message ${record.id}`,
        { cause: err },
      );
    }
    logger.info(
      {
        event: 'delivery.deferred',
        attempt: retry.deliveryAttempts,
        deliver_after: retry.deliverAfter?.toISOString(),
        recipients: recipients.length,
        reply: deferred[0]?.reply,
      },
      'deferred recipients handed to the delivery-retry topic',
    );
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
