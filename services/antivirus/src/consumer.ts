import {
  decodeRecord,
  encodeRecord,
  extractTraceContext,
  getTracer,
  injectTraceContext,
  RetryLaterError,
  Topics,
  withSpan,
  type ConsumedRecord,
  type Logger,
  type MessageBus,
  type Subscription,
} from '@mailshield/common';
import { context as otelContext } from '@opentelemetry/api';
import type { MessageRecord } from '@mailshield/proto/message';
import type { BackupStore } from '@mailshield/common';
import { mapBounded } from './engine/limiter.js';
import { AvReason } from './errors.js';
import { processRecord, type StageContext } from './stage.js';

export const CONSUMER_GROUP = 'mailshield-antivirus';

export interface ConsumerContext extends StageContext {
  bus: MessageBus;
  backup: BackupStore;
  logger: Logger;
  messageConcurrency: number;
  /** Whether consumption is paused because no clamd endpoint responds. */
  pauseState: { isPaused: boolean };
}

/**
 * Consumes the inbound topic: each batch is scanned with bounded concurrency, every output
 * is published to the scanned topic in one call, and only then does the handler resolve, so
 * offsets commit after the outputs are durable. Any failure throws and the batch comes again.
 */
export async function startConsumer(context: ConsumerContext): Promise<Subscription> {
  return context.bus.subscribe({
    topic: Topics.inbound,
    groupId: CONSUMER_GROUP,
    handleBatch: (records) => handleBatch(records, context),
  });
}

export async function handleBatch(
  records: ConsumedRecord[],
  context: ConsumerContext,
): Promise<void> {
  checkEngineAvailable(context);
  const outputs = await mapBounded(records, context.messageConcurrency, (consumed) =>
    handleOne(consumed, context),
  );
  const ready = outputs.filter((record): record is MessageRecord => record !== undefined);
  if (ready.length > 0) await context.bus.publish(Topics.scanned, ready.map(encodeRecord));
}

const PAUSED_RETRY_MS = 1000;

/**
 * Pauses consumption while every clamd endpoint is down: the batch is offered again every
 * second without being scanned, so nothing is marked clean and nothing piles up as retries.
 */
function checkEngineAvailable(context: ConsumerContext): void {
  const isAvailable = context.scanner.isAvailable();
  const wasPaused = context.pauseState.isPaused;
  context.pauseState.isPaused = !isAvailable;
  if (isAvailable) {
    if (wasPaused) {
      context.metrics.consumptionPaused.set(0);
      context.logger.info(
        { event: 'consumer.resumed' },
        'clamd is reachable again; scanning resumed',
      );
    }
    return;
  }
  if (!wasPaused) {
    context.metrics.consumptionPaused.set(1);
    context.logger.warn(
      { event: 'consumer.paused' },
      'no clamd endpoint is reachable; consumption paused until one answers',
    );
  }
  throw new RetryLaterError(PAUSED_RETRY_MS, 'no clamd endpoint is reachable; batch not scanned');
}

async function handleOne(
  consumed: ConsumedRecord,
  context: ConsumerContext,
): Promise<MessageRecord | undefined> {
  let record: MessageRecord;
  try {
    record = decodeRecord(consumed);
  } catch (err) {
    // Known gap: an undecodable record is dropped after this log line, since no stage could read it.
    context.metrics.errors.inc({ reason: AvReason.recordInvalid });
    context.logger.error(
      {
        event: 'record.invalid',
        err,
        topic: consumed.topic,
        partition: consumed.partition,
        offset: consumed.offset,
      },
      'bus record is not a MessageRecord; skipped',
    );
    return undefined;
  }
  const carrier =
    Object.keys(record.traceContext).length > 0 ? record.traceContext : consumed.headers;
  const parent = extractTraceContext(carrier);
  return withSpan(getTracer('antivirus'), 'antivirus.scan', parent, async (span) => {
    const logger = context.logger.child({
      mail_id: record.id,
      trace_id: span.spanContext().traceId,
    });
    const traced: MessageRecord = {
      ...record,
      traceContext: injectTraceContext(otelContext.active()),
    };
    return processRecord(traced, context, span, logger);
  });
}
