import { randomUUID } from 'node:crypto';
import {
  encodeRecord,
  extractTraceContext,
  getTracer,
  injectTraceContext,
  InvalidArgumentError,
  traceIdOf,
  Topics,
  UnavailableError,
  withSpan,
} from '@mailshield/common';
import { CanaryKind, type InjectResponse } from '@mailshield/proto/canary';
import { Disposition, dispositionToJSON, type MessageRecord } from '@mailshield/proto/message';
import { buildCanaryMessage, CANARY_ADDRESS, canaryName } from '../domain/canary-message.js';
import { CanaryBusyError, InterceptorErrorCode } from '../errors.js';
import type { EndOfDataDeps } from './end-of-data.js';
import { buildMessageRecord, effectiveQueueMode } from './message-record.js';

/** The canary injector needs what the end-of-DATA handler needs, since it builds the same record. */
export type CanaryDeps = EndOfDataDeps;

/** Maximum wait for a canary's verdict that a caller may request, in seconds. */
export const MAX_CANARY_DEADLINE_SECONDS = 300;

/** Maximum canaries waiting for their verdicts at once; the self-test sends two per run. */
export const MAX_CANARIES_IN_FLIGHT = 8;

const tracer = getTracer('mailshield-interceptor');

/**
 * Injects canaries for the control plane's self-test. A canary is built like a message accepted
 * at end of DATA, in the queue mode of the policy in force, and written to the inbound topic by
 * the same durable publish. The only difference is the record's `canary` flag, which only this
 * class sets: stages then skip Backup and delivery completes the record without sending it.
 * NOTE: a stage or interceptor built before the flag existed drops it, so while such a version
 * still runs (a rolling upgrade), it may store an EICAR canary in Backup or try to deliver one.
 */
export class CanaryInjector {
  private inFlight = 0;

  constructor(private readonly deps: CanaryDeps) {}

  /**
   * Injects one canary of `kind` and waits up to `deadlineSeconds` for its final verdict.
   * Throws InvalidArgumentError for an unknown kind or a deadline outside (0, 300] seconds,
   * CanaryBusyError while MAX_CANARIES_IN_FLIGHT others wait, and UnavailableError when the
   * canary could not be written to the bus.
   */
  async inject(kind: CanaryKind, deadlineSeconds: number): Promise<InjectResponse> {
    checkRequest(kind, deadlineSeconds);
    // The service needs no authentication, so a cap keeps a caller from flooding the pipeline.
    if (this.inFlight >= MAX_CANARIES_IN_FLIGHT) throw new CanaryBusyError(MAX_CANARIES_IN_FLIGHT);
    this.inFlight += 1;
    try {
      return await this.injectAndWait(kind, deadlineSeconds);
    } finally {
      this.inFlight -= 1;
    }
  }

  private injectAndWait(kind: CanaryKind, deadlineSeconds: number): Promise<InjectResponse> {
    const name = canaryName(kind);
    return withSpan(tracer, 'interceptor.canary', extractTraceContext({}), async (span) => {
      const record = this.buildRecord(kind, traceIdOf(span));
      const { id, queueMode } = record;
      span.setAttribute('mailshield.mail_id', id);
      const logger = this.deps.logger.child({ mail_id: id, canary: name });
      // Registered before the publish, like a before-queue session, so a fast verdict is not missed.
      const verdictPromise = this.deps.waiter.wait(id, deadlineSeconds * 1000);
      try {
        await this.deps.bus.publish(Topics.inbound, [encodeRecord(record)]);
      } catch (err) {
        this.deps.waiter.cancel(id);
        this.deps.metrics.canaries.inc({ kind: name, result: 'publish_failed' });
        logger.error({ err, event: 'canary.publish_failed' }, 'could not publish the canary');
        throw new UnavailableError(
          InterceptorErrorCode.publishFailed,
          `the ${name} canary could not be written to the message bus: ${(err as Error).message}`,
          { cause: err },
        );
      }
      const published = performance.now();
      const verdict = await verdictPromise;
      const seconds = (performance.now() - published) / 1000;
      const result = verdict === undefined ? 'timeout' : 'verdict';
      this.deps.metrics.canaries.inc({ kind: name, result });
      logger.info(
        {
          event: 'canary.finished',
          result,
          disposition: verdict === undefined ? undefined : dispositionToJSON(verdict.disposition),
          seconds: Number(seconds.toFixed(3)),
        },
        verdict === undefined ? 'no verdict for the canary in time' : 'canary verdict received',
      );
      return {
        messageId: id,
        completed: verdict !== undefined,
        disposition: verdict?.disposition ?? Disposition.DISPOSITION_UNSPECIFIED,
        outcomes: verdict?.outcomes ?? [],
        queueMode,
        seconds,
      };
    });
  }

  /** Builds the record the way end of DATA does for a local client, with the canary flag set. */
  private buildRecord(kind: CanaryKind, traceId: string): MessageRecord {
    const policy = this.deps.policy.current();
    const id = randomUUID();
    const receivedAt = new Date();
    const facts = {
      sessionId: `canary-${id}`,
      clientAddress: '127.0.0.1',
      traceAddress: '127.0.0.1',
      helo: this.deps.serverName,
      mailFrom: CANARY_ADDRESS,
      rcptTo: [CANARY_ADDRESS],
      tls: false,
      outbound: false,
    };
    const record = buildMessageRecord(facts, buildCanaryMessage(kind, id, receivedAt), {
      id,
      receivedAt,
      queueMode: effectiveQueueMode(policy.queueMode),
      policyVersion: policy.version,
      instance: this.deps.instance,
      serverName: this.deps.serverName,
      traceContext: injectTraceContext(),
      traceId,
    });
    return { ...record, canary: true };
  }
}

function checkRequest(kind: CanaryKind, deadlineSeconds: number): void {
  const problems: string[] = [];
  if (kind !== CanaryKind.CANARY_KIND_EICAR && kind !== CanaryKind.CANARY_KIND_GTUBE) {
    problems.push(`kind: ${kind} is invalid, expected CANARY_KIND_EICAR or CANARY_KIND_GTUBE`);
  }
  if (!(deadlineSeconds > 0 && deadlineSeconds <= MAX_CANARY_DEADLINE_SECONDS)) {
    problems.push(
      `deadline_seconds: ${deadlineSeconds} is invalid, expected more than 0 and at most ${MAX_CANARY_DEADLINE_SECONDS}`,
    );
  }
  if (problems.length > 0) {
    throw new InvalidArgumentError(
      InterceptorErrorCode.canaryInvalid,
      `canary request is invalid: ${problems.join('; ')}`,
      problems,
    );
  }
}
