import type { Finding } from '@mailshield/proto/message';
import type { AttachmentRule, ScanLimits } from '@mailshield/proto/policy';
import { deterministicReasons } from '../errors.js';
import type { Scanner } from '../engine/scanner.js';
import { worseStatus, type EngineVerdict, type ScanStatus } from '../engine/verdict.js';
import { walkMessage } from '../mime/walker.js';
import type { MessageFolder, RamStore } from '../store/ram-store.js';
import { inspectObjects, type OwnFindings } from './inspect-objects.js';
import { checkMessageSize, checkTreeLimits, limitVerdict } from './message-limits.js';
import { collectScanObjects, objectLabel, type ScanObject } from './scan-objects.js';

/** Settings of a scan, taken from the policy in force. */
export interface ScanSettings {
  /** Deadline of one object scan by clamd, retries included. */
  timeoutSeconds: number;
  limits: ScanLimits;
  rules: readonly AttachmentRule[];
  isOutbound: boolean;
}

export interface ScanEngine {
  scanner: Scanner;
  /** Folder for objects that clamd scans by path; undefined when no clamd shares it. */
  store: RamStore | undefined;
}

export interface ObjectResult {
  object: ScanObject;
  /** The worse of clamd's verdict and the project's own inspection. */
  verdict: EngineVerdict;
  /** The attachment rule that matches the object, if any. */
  rule: AttachmentRule | undefined;
  fileType: string | undefined;
}

export interface MessageScan {
  status: ScanStatus;
  /** Reason code: of an unscanned result (a clamd error first, then a limit), or the rule names. */
  reason: string;
  objects: ObjectResult[];
  /** Limits of the whole message that were exceeded; clamd saw nothing then. */
  messageLimits: EngineVerdict[];
  findings: Finding[];
  durationSeconds: number;
}

/**
 * Scans a message. Limits of the message are checked first, and a message over one is not
 * sent to clamd at all. Otherwise each part is inspected by the project's own code (type,
 * archives, encryption, attachment rules), then the raw message and every decoded object go
 * to clamd as separate scans. The message takes the worst status (infected > blocked >
 * unscanned > corrupted > protected > clean), so a failure is never reported as clean.
 */
export async function scanMessage(
  raw: Buffer,
  engine: ScanEngine,
  settings: ScanSettings,
): Promise<MessageScan> {
  const started = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
  const sizeVerdict = checkMessageSize(raw, settings.limits);
  if (sizeVerdict !== undefined) return combine([], [sizeVerdict], elapsed());
  const tree = walkMessage(raw, {
    maxDepth: settings.limits.maxMimeDepth,
    maxParts: settings.limits.maxParts,
  });
  const messageLimits = checkTreeLimits(tree, settings.limits);
  if (messageLimits.length > 0) return combine([], messageLimits, elapsed());
  const { objects, findings } = inspectObjects(collectScanObjects(raw, tree), settings);
  const folder = engine.store?.openMessage();
  try {
    const withheldReason = findings.find((own) => own.isWithheld)?.verdict?.reason;
    const results = await Promise.all(
      objects.map((object, index) =>
        scanObject(object, findings[index]!, withheldReason, engine.scanner, folder, settings),
      ),
    );
    return combine(results, [], elapsed());
  } finally {
    await folder?.cleanup();
  }
}

async function scanObject(
  object: ScanObject,
  own: OwnFindings,
  withheldReason: string | undefined,
  scanner: Scanner,
  folder: MessageFolder | undefined,
  settings: ScanSettings,
): Promise<ObjectResult> {
  const result = { object, rule: own.rule, fileType: own.fileType };
  if (own.isWithheld) return { ...result, verdict: own.verdict! };
  // clamd unpacks the archives of the raw message too, so an archive over the limits keeps
  // the raw message from clamd as well. Its other parts are still scanned one by one.
  if (object.kind === 'message' && withheldReason !== undefined) {
    const detail = 'not sent to clamd because a part of it was withheld';
    return { ...result, verdict: limitVerdict(withheldReason, detail) };
  }
  const file = await folder?.write(object.content).catch(() => undefined);
  const engineVerdict = await scanner.scan({
    content: object.content,
    file,
    timeoutSeconds: settings.timeoutSeconds,
  });
  return { ...result, verdict: worseVerdict(engineVerdict, own.verdict) };
}

function worseVerdict(a: EngineVerdict, b: EngineVerdict | undefined): EngineVerdict {
  if (b === undefined) return a;
  return worseStatus(a.status, b.status) === a.status ? a : b;
}

/** Returns the object's status, with a matching attachment rule counted as `blocked`. */
export function effectiveStatus(result: ObjectResult): ScanStatus {
  return result.rule === undefined
    ? result.verdict.status
    : worseStatus(result.verdict.status, 'blocked');
}

function combine(
  results: ObjectResult[],
  messageLimits: EngineVerdict[],
  durationSeconds: number,
): MessageScan {
  const statuses = [
    ...results.map(effectiveStatus),
    ...messageLimits.map((verdict) => verdict.status),
  ];
  const status = statuses.reduce<ScanStatus>(worseStatus, 'clean');
  const findings: Finding[] = results.flatMap(findingsOf);
  for (const verdict of messageLimits) findings.push(...verdictFindings('message', verdict));
  return {
    status,
    reason: reasonOf(status, results, messageLimits),
    objects: results,
    messageLimits,
    findings,
    durationSeconds,
  };
}

function reasonOf(
  status: ScanStatus,
  results: ObjectResult[],
  messageLimits: EngineVerdict[],
): string {
  if (status === 'blocked') {
    const rules = results.flatMap((result) =>
      result.rule === undefined ? [] : [result.rule.name],
    );
    return [...new Set(rules)].join(',');
  }
  if (status !== 'unscanned') return '';
  const reasons = [...results.map((result) => result.verdict), ...messageLimits].flatMap(
    (verdict) => (verdict.reason === undefined ? [] : [verdict.reason]),
  );
  // A transient clamd error decides the reason, so the message is retried rather than held.
  return reasons.find((code) => !deterministicReasons.has(code)) ?? reasons[0] ?? '';
}

function findingsOf(result: ObjectResult): Finding[] {
  const label = objectLabel(result.object);
  const findings = verdictFindings(label, result.verdict);
  if (result.rule !== undefined) {
    findings.push({
      name: `Blocked.${result.rule.name}`,
      object: label,
      score: 0,
      detail: `attachment rule ${result.rule.name} matched (type ${result.fileType ?? 'unknown'})`,
    });
  }
  return findings;
}

function verdictFindings(label: string, verdict: EngineVerdict): Finding[] {
  if (verdict.status === 'clean') return [];
  if (verdict.names.length === 0) {
    return [
      {
        name: verdict.reason ?? verdict.status,
        object: label,
        score: 0,
        detail: verdict.detail ?? '',
      },
    ];
  }
  return verdict.names.map((name) => ({
    name,
    object: label,
    score: 0,
    detail: verdict.detail ?? verdict.status,
  }));
}
