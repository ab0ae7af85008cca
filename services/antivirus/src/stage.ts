import type { Span } from '@opentelemetry/api';
import {
  defaultScanLimits,
  effectivePolicy,
  scopeOfRecord,
  stricterDisposition,
  traceIdOf,
  UnavailableError,
  withOutcome,
  type Logger,
  type PolicySource,
} from '@mailshield/common';
import {
  Disposition,
  QueueMode,
  Stage,
  type MessageRecord,
  type StageOutcome,
} from '@mailshield/proto/message';
import type { Policy } from '@mailshield/proto/policy';
import { applyPolicy, type ActionPlan } from './action/apply-policy.js';
import type { BackupStore } from '@mailshield/common';
import type { Scanner } from './engine/scanner.js';
import { AvReason, NotReadyError } from './errors.js';
import type { AntivirusMetrics } from './metrics.js';
import { scanMessage, type MessageScan, type ScanSettings } from './scan/scan-message.js';
import type { RamStore } from './store/ram-store.js';

export interface StageContext {
  scanner: Scanner;
  /** Folder for objects that clamd scans by path; undefined when no clamd shares it. */
  store: RamStore | undefined;
  policy: PolicySource;
  metrics: AntivirusMetrics;
  instance: string;
}

export interface StageResult {
  scan: MessageScan;
  plan: ActionPlan;
  outcome: StageOutcome;
}

/** How the message arrived, which decides the reply and the direction's actions. */
export interface MessageMode {
  queueMode: QueueMode;
  isOutbound: boolean;
  /**
   * Domain of the recipients, which picks the policy overrides of that domain; '' or undefined
   * applies the direction's overrides only. The interceptor keeps one override group per message.
   */
  recipientDomain?: string;
  /** True for a self-test canary, which counts in none of the message metrics. */
  isCanary?: boolean;
}

/**
 * Scans one message and decides its fate under the current policy. Shared by the consumer
 * and the gRPC ScanMessage call; neither backup nor retry happens here.
 */
export async function evaluateMessage(
  raw: Buffer,
  mode: MessageMode,
  context: StageContext,
  span: Span,
): Promise<StageResult> {
  const policy = effectivePolicy(currentPolicy(context.policy), {
    recipientDomain: mode.recipientDomain ?? '',
    isOutbound: mode.isOutbound,
  });
  const antivirus = policy.antivirus;
  const settings: ScanSettings = {
    timeoutSeconds: antivirus?.scanTimeoutSeconds || 20,
    limits: antivirus?.limits ?? defaultScanLimits(),
    rules: antivirus?.attachmentRules ?? [],
    isOutbound: mode.isOutbound,
  };
  const engine = { scanner: context.scanner, store: context.store };
  const scan = await scanMessage(raw, engine, settings);
  const plan = await applyPolicy(raw, scan, {
    policy: antivirus,
    queueMode: mode.queueMode,
    isOutbound: mode.isOutbound,
    rescan: (changed) => scanMessage(changed, engine, settings),
  });
  const outcome: StageOutcome = {
    stage: Stage.STAGE_ANTIVIRUS,
    scanner: 'clamd',
    status: scan.status,
    action: plan.action,
    reason: scan.reason,
    durationSeconds: scan.durationSeconds,
    policyVersion: policy.version,
    findings: scan.findings,
    score: 0,
    at: new Date(),
    traceId: traceIdOf(span),
    instance: context.instance,
  };
  if (mode.isCanary !== true) recordMetrics(context.metrics, scan, plan);
  span.setAttributes({ 'mailshield.av.status': scan.status, 'mailshield.av.action': plan.action });
  return { scan, plan, outcome };
}

function currentPolicy(source: PolicySource): Policy {
  try {
    return source.current();
  } catch {
    throw new NotReadyError(
      AvReason.policyMissing,
      'no policy received from the control plane yet',
    );
  }
}

function recordMetrics(metrics: AntivirusMetrics, scan: MessageScan, plan: ActionPlan): void {
  metrics.messages.inc({ status: scan.status, action: plan.action });
  metrics.scanDuration.observe(scan.durationSeconds);
  for (const { verdict, rule } of scan.objects) {
    metrics.objectsScanned.inc({ status: verdict.status });
    if (rule !== undefined) metrics.blocked.inc({ rule: rule.name });
    if (verdict.status === 'unscanned' && verdict.reason?.startsWith('AV_CLAMD_') === true) {
      metrics.errors.inc({ reason: verdict.reason });
    }
  }
  if (scan.status === 'unscanned') metrics.unscanned.inc({ reason: scan.reason });
}

/**
 * Processes one bus record: passes on records another stage already decided, otherwise scans,
 * stores a backup before any destructive action (never for a self-test canary), and returns
 * the record for the next topic.
 * Throws (so the batch is retried) when an after-queue scan must be retried or the backup failed.
 */
export async function processRecord(
  record: MessageRecord,
  context: StageContext & { backup: BackupStore },
  span: Span,
  logger: Logger,
): Promise<MessageRecord> {
  const isUndecided =
    record.disposition === Disposition.DISPOSITION_DELIVER ||
    record.disposition === Disposition.DISPOSITION_UNSPECIFIED;
  if (!isUndecided) {
    logger.info(
      { event: 'scan.passed_on', disposition: record.disposition },
      'message already decided; passed on',
    );
    return record;
  }
  const isCanary = record.canary === true;
  const mode = { queueMode: record.queueMode, ...scopeOfRecord(record), isCanary };
  const { scan, plan, outcome } = await evaluateMessage(record.raw, mode, context, span);
  if (plan.shouldRetry) {
    context.metrics.errors.inc({ reason: AvReason.retryLater });
    logger.warn(
      { event: 'scan.retry_later', reason: scan.reason },
      'scan failed; the batch will be retried',
    );
    throw new UnavailableError(
      AvReason.retryLater,
      `scan of ${record.id} failed (${scan.reason}); retrying later`,
    );
  }
  // A canary's content is fixed test data, so Backup never keeps it, whatever the action.
  if (plan.needsBackup && !isCanary) await storeBackup(record, outcome, context, logger);
  logger.info(
    {
      event: 'scan.completed',
      canary: isCanary || undefined,
      status: scan.status,
      action: plan.action,
      reason: scan.reason,
      findings: scan.findings.length,
    },
    'message scanned',
  );
  const next: MessageRecord = {
    ...record,
    raw: plan.raw,
    disposition: stricterDisposition(record.disposition, plan.disposition),
    reply: plan.reply === '' ? record.reply : plan.reply,
  };
  return withOutcome(next, outcome);
}

async function storeBackup(
  record: MessageRecord,
  outcome: StageOutcome,
  context: { backup: BackupStore; metrics: AntivirusMetrics },
  logger: Logger,
): Promise<void> {
  try {
    await context.backup.store(record, outcome);
  } catch (err) {
    context.metrics.errors.inc({ reason: AvReason.backupFailed });
    logger.error(
      { event: 'backup.failed', err },
      'backup failed; the message stays in the queue for a retry',
    );
    throw err instanceof UnavailableError
      ? err
      : new UnavailableError(AvReason.backupFailed, `backup of ${record.id} failed`, {
          cause: err,
        });
  }
}
