import { context as otelContext, type Tracer } from '@opentelemetry/api';
import {
  defaultPolicy,
  effectivePolicy,
  extractTraceContext,
  injectTraceContext,
  scopeOfRecord,
  stricterDisposition,
  traceIdOf,
  withOutcome,
  withSpan,
  type Logger,
} from '@mailshield/common';
import {
  Disposition,
  Envelope,
  RecordKind,
  Stage,
  type MessageRecord,
  type StageOutcome,
} from '@mailshield/proto/message';
import type { AntispamPolicy, Policy } from '@mailshield/proto/policy';
import { applyAction } from './actions/apply-action.js';
import type { BackupStore } from '@mailshield/common';
import type { ScoreResult, ScoringEngine } from './engine/engine.js';
import { AntispamReason, BackupFailedError } from './errors.js';
import type { AntispamMetrics } from './metrics.js';

export interface StageDeps {
  engine: ScoringEngine;
  metrics: AntispamMetrics;
  logger: Logger;
  tracer: Tracer;
  instance: string;
  /** Deadline for all checks of one message, in seconds. */
  scanTimeoutSeconds: number;
}

export interface ProcessOptions {
  /** Store originals before destructive actions; undefined for ScoreMessage, which keeps nothing. */
  backup: BackupStore | undefined;
}

/**
 * Tells whether this stage scores the record. Release and session records, and records
 * already rejected, deleted or held, pass through untouched.
 */
function isScannable(record: MessageRecord): boolean {
  const isMessage =
    record.kind === RecordKind.RECORD_KIND_MESSAGE ||
    record.kind === RecordKind.RECORD_KIND_UNSPECIFIED;
  const isDeliverable =
    record.disposition === Disposition.DISPOSITION_DELIVER ||
    record.disposition === Disposition.DISPOSITION_UNSPECIFIED;
  return isMessage && isDeliverable;
}

function buildOutcome(
  result: ScoreResult,
  action: string,
  seconds: number,
  policy: Policy,
  traceId: string,
  instance: string,
): StageOutcome {
  return {
    stage: Stage.STAGE_ANTISPAM,
    scanner: 'rules',
    status: result.status,
    action,
    reason: result.reason,
    durationSeconds: seconds,
    policyVersion: policy.version,
    findings: result.findings.map(({ name, object, score, detail }) => ({
      name,
      object,
      score,
      detail,
    })),
    score: result.score,
    at: new Date(),
    traceId,
    instance,
  };
}

/**
 * Runs the antispam stage on one record: scores it, applies the policy's action, backs up the
 * original before a destructive action (never for a self-test canary), and appends the
 * outcome. Records that are not deliverable messages come back unchanged. Throws
 * BackupFailedError when Backup.Store fails, so the caller retries instead of dropping the
 * message.
 */
export async function processRecord(
  record: MessageRecord,
  policy: Policy,
  deps: StageDeps,
  options: ProcessOptions,
): Promise<MessageRecord> {
  if (!isScannable(record)) return record;
  const parent = extractTraceContext(record.traceContext);
  return withSpan(deps.tracer, 'antispam.score', parent, async (span) => {
    const started = process.hrtime.bigint();
    const antispam: AntispamPolicy =
      effectivePolicy(policy, scopeOfRecord(record)).antispam ?? defaultPolicy().antispam!;
    const result = await scoreRecord(record, antispam, deps);
    const acted = applyAction(record.raw, result, antispam);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const traceId = traceIdOf(span);
    const outcome = buildOutcome(result, acted.action, seconds, policy, traceId, deps.instance);
    span.setAttributes({
      'mailshield.mail_id': record.id,
      'mailshield.spam.status': result.status,
      'mailshield.spam.score': result.score,
    });
    // A canary of the self-test is fixed test data: no Backup copy, and no count as mail.
    const isCanary = record.canary === true;
    if (acted.needsBackup && !isCanary) await storeOriginal(record, outcome, deps, options);
    if (!isCanary) recordMetrics(deps, result, acted.action, seconds);
    logVerdict(deps.logger, record, outcome);
    const next: MessageRecord = {
      ...record,
      raw: acted.raw,
      disposition: stricterDisposition(record.disposition, acted.disposition),
      reply: acted.reply !== '' ? acted.reply : record.reply,
      traceContext: injectTraceContext(otelContext.active()),
    };
    return withOutcome(next, outcome);
  });
}

function scoreRecord(
  record: MessageRecord,
  policy: AntispamPolicy,
  deps: StageDeps,
): Promise<ScoreResult> {
  const envelope = record.envelope ?? Envelope.fromPartial({});
  return deps.engine.score(record.raw, {
    envelope,
    policy,
    now: envelope.receivedAt ?? new Date(),
    signal: AbortSignal.timeout(deps.scanTimeoutSeconds * 1000),
  });
}

/** Stores the record as this stage received it. ScoreMessage passes no store and keeps nothing. */
async function storeOriginal(
  record: MessageRecord,
  outcome: StageOutcome,
  deps: StageDeps,
  options: ProcessOptions,
): Promise<void> {
  if (options.backup === undefined) return;
  try {
    await options.backup.store(record, outcome);
  } catch (err) {
    deps.metrics.errors.inc({ reason: AntispamReason.backupFailed });
    throw new BackupFailedError(record.id, err);
  }
}

function recordMetrics(
  deps: StageDeps,
  result: ScoreResult,
  action: string,
  seconds: number,
): void {
  deps.metrics.messages.inc({ status: result.status, action });
  deps.metrics.scoreDuration.observe(seconds);
  for (const finding of result.findings) deps.metrics.checkHits.inc({ check: finding.check });
  if (result.reason !== '') deps.metrics.errors.inc({ reason: result.reason });
}

function logVerdict(logger: Logger, record: MessageRecord, outcome: StageOutcome): void {
  logger.info(
    {
      event: 'antispam.scored',
      mail_id: record.id,
      canary: record.canary === true || undefined,
      trace_id: outcome.traceId,
      status: outcome.status,
      action: outcome.action,
      score: outcome.score,
      reason: outcome.reason || undefined,
      rules: outcome.findings.map((finding) => finding.name),
    },
    'message scored',
  );
}
