import { randomUUID } from 'node:crypto';
import {
  encodeRecord,
  extractTraceContext,
  getTracer,
  injectTraceContext,
  traceIdOf,
  Topics,
  withSpan,
  type Logger,
  type MessageBus,
  type PolicySource,
} from '@mailshield/common';
import { QueueMode, RecordKind, type MessageRecord } from '@mailshield/proto/message';
import { replyForVerdict } from '../domain/verdict-reply.js';
import { InterceptorErrorCode } from '../errors.js';
import type { InterceptorMetrics } from '../metrics.js';
import { buildMessageRecord, effectiveQueueMode, type SessionFacts } from './message-record.js';
import type { VerdictWaiter } from './verdict-waiter.js';

/** The final reply to DATA. */
export interface SmtpReply {
  code: number;
  /** Reply text starting with the enhanced status code. */
  text: string;
}

export interface EndOfDataDeps {
  bus: MessageBus;
  policy: PolicySource;
  waiter: VerdictWaiter;
  metrics: InterceptorMetrics;
  logger: Logger;
  instance: string;
  serverName: string;
}

const TEMPORARY_FAILURE: SmtpReply = {
  code: 451,
  text: '4.3.0 Temporary failure, try again later',
};
const tracer = getTracer('mailshield-interceptor');

/**
 * Decides the reply to a complete message. The record is published durably before any 250:
 * after-queue replies 250 right then, and before-queue waits for the pipeline's verdict and
 * publishes SESSION_ACCEPTED before answering 250, so only accepted sessions are delivered.
 */
export class EndOfDataHandler {
  constructor(private readonly deps: EndOfDataDeps) {}

  async handle(
    facts: SessionFacts,
    raw: Buffer,
    isClientConnected: () => boolean,
  ): Promise<SmtpReply> {
    const policy = this.deps.policy.current();
    const queueMode = effectiveQueueMode(policy.queueMode);
    return withSpan(tracer, 'interceptor.receive', extractTraceContext({}), async (span) => {
      const record = buildMessageRecord(facts, raw, {
        id: randomUUID(),
        receivedAt: new Date(),
        queueMode,
        policyVersion: policy.version,
        instance: this.deps.instance,
        serverName: this.deps.serverName,
        traceContext: injectTraceContext(),
        traceId: traceIdOf(span),
      });
      span.setAttribute('mailshield.mail_id', record.id);
      const logger = this.deps.logger.child({
        mail_id: record.id,
        smtp_session_id: facts.sessionId,
      });
      if (queueMode === QueueMode.QUEUE_MODE_AFTER_QUEUE) return this.afterQueue(record, logger);
      const timeoutMs = Math.max(1, policy.beforeQueueTimeoutSeconds) * 1000;
      return this.beforeQueue(record, timeoutMs, isClientConnected, logger);
    });
  }

  private async afterQueue(record: MessageRecord, logger: Logger): Promise<SmtpReply> {
    if (!(await this.publish(Topics.inbound, record, logger))) return TEMPORARY_FAILURE;
    this.deps.metrics.messagesAccepted.inc({ mode: 'after_queue' });
    logger.info(
      { event: 'message.accepted', queue_mode: 'after_queue', bytes: record.raw.length },
      'message accepted',
    );
    return { code: 250, text: `2.0.0 Ok: queued as ${record.id}` };
  }

  private async beforeQueue(
    record: MessageRecord,
    timeoutMs: number,
    isClientConnected: () => boolean,
    logger: Logger,
  ): Promise<SmtpReply> {
    const verdictPromise = this.deps.waiter.wait(record.id, timeoutMs);
    if (!(await this.publish(Topics.inbound, record, logger))) {
      this.deps.waiter.cancel(record.id);
      return TEMPORARY_FAILURE;
    }
    const verdict = await verdictPromise;
    if (verdict === undefined) {
      this.deps.metrics.errors.inc({ reason: InterceptorErrorCode.verdictTimeout });
      logger.warn(
        { event: 'verdict.timeout', timeout_ms: timeoutMs },
        'no verdict in time; answering 451',
      );
      return { code: 451, text: '4.7.0 Timeout waiting for the message verdict, try again later' };
    }
    const reply = replyForVerdict(verdict);
    if (reply.kind === 'refuse') {
      logger.info(
        { event: 'message.refused', code: reply.code, disposition: verdict.disposition },
        'message refused by verdict',
      );
      return { code: reply.code, text: reply.text };
    }
    return this.acceptSession(verdict, isClientConnected, logger);
  }

  /**
   * Publishes SESSION_ACCEPTED, the record that lets delivery act on a before-queue message.
   * A client that already left would retry the message, so its copy is not accepted.
   */
  private async acceptSession(
    verdict: MessageRecord,
    isClientConnected: () => boolean,
    logger: Logger,
  ): Promise<SmtpReply> {
    if (!isClientConnected()) {
      logger.info(
        { event: 'session.gone' },
        'client left before the verdict; message not accepted',
      );
      return TEMPORARY_FAILURE;
    }
    const accepted: MessageRecord = { ...verdict, kind: RecordKind.RECORD_KIND_SESSION_ACCEPTED };
    if (!(await this.publish(Topics.verdicts, accepted, logger))) return TEMPORARY_FAILURE;
    this.deps.metrics.messagesAccepted.inc({ mode: 'before_queue' });
    logger.info(
      { event: 'message.accepted', queue_mode: 'before_queue', disposition: verdict.disposition },
      'message accepted',
    );
    return { code: 250, text: `2.0.0 Ok: queued as ${verdict.id}` };
  }

  private async publish(topic: string, record: MessageRecord, logger: Logger): Promise<boolean> {
    const stopTimer = this.deps.metrics.publishDuration.startTimer();
    try {
      await this.deps.bus.publish(topic, [encodeRecord(record)]);
      return true;
    } catch (err) {
      this.deps.metrics.errors.inc({ reason: InterceptorErrorCode.publishFailed });
      logger.error(
        { err, event: 'publish.failed', topic },
        'could not publish the message; answering 451',
      );
      return false;
    } finally {
      stopTimer();
    }
  }
}
