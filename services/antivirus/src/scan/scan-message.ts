import type { Finding } from '@mailshield/proto/message';
import { AvReason, deterministicReasons } from '../errors.js';
import type { Scanner } from '../engine/clamd-scanner.js';
import { worseStatus, type EngineVerdict, type ScanStatus } from '../engine/verdict.js';
import { walkMessage } from '../mime/walker.js';
import type { MimeTree } from '../mime/types.js';
import { collectScanObjects, objectLabel, type ScanObject } from './scan-objects.js';

export interface ScanLimits {
  /** Per-object clamd timeout, from the policy. */
  timeoutSeconds: number;
  /** MIME nesting limit. Default 20. */
  maxDepth: number;
  /** Objects per message (raw message, leaves, uuencoded files) beyond which the rest are unscanned. */
  maxObjects: number;
  /** Objects larger than this are not sent to clamd and count as unscanned. */
  maxObjectBytes: number;
}

export interface ObjectResult {
  object: ScanObject;
  verdict: EngineVerdict;
}

export interface MessageScan {
  status: ScanStatus;
  /** Reason code of an unscanned result: a clamd error first, then a limit. */
  reason: string;
  objects: ObjectResult[];
  findings: Finding[];
  tree: MimeTree;
  durationSeconds: number;
}

/**
 * Scans a message: the raw bytes and every decoded object, each as its own clamd stream,
 * and combines them into the worst status (infected > unscanned > corrupted > protected >
 * clean). A scan error or a limit makes the message unscanned, never clean.
 */
export async function scanMessage(
  raw: Buffer,
  scanner: Scanner,
  limits: ScanLimits,
): Promise<MessageScan> {
  const started = process.hrtime.bigint();
  const tree = walkMessage(raw, { maxDepth: limits.maxDepth });
  const objects = collectScanObjects(raw, tree);
  // Concurrency is bounded by the scanner's own limit of scans in flight.
  const results = await Promise.all(
    objects.map(async (object, index) => ({
      object,
      verdict: await scanObject(object, index, scanner, limits),
    })),
  );
  const limitVerdicts: EngineVerdict[] = [];
  if (tree.isTooDeep)
    limitVerdicts.push(
      limitVerdict(AvReason.mimeTooDeep, `MIME nesting deeper than ${limits.maxDepth}`),
    );
  return combine(results, limitVerdicts, tree, Number(process.hrtime.bigint() - started) / 1e9);
}

async function scanObject(
  object: ScanObject,
  index: number,
  scanner: Scanner,
  limits: ScanLimits,
): Promise<EngineVerdict> {
  if (index >= limits.maxObjects)
    return limitVerdict(AvReason.tooManyObjects, `more than ${limits.maxObjects} objects`);
  // NOTE: this limits what is sent to clamd, not what an archive expands to inside clamd;
  // members past clamd's MaxFileSize are scanned only in part, and clamd does not say so.
  if (object.content.length > limits.maxObjectBytes) {
    return limitVerdict(
      AvReason.objectTooLarge,
      `${object.content.length} bytes, over ${limits.maxObjectBytes}`,
    );
  }
  return scanner.scan(object.content, limits.timeoutSeconds);
}

function limitVerdict(reason: string, detail: string): EngineVerdict {
  return { status: 'unscanned', names: [], reason, detail };
}

function combine(
  results: ObjectResult[],
  limitVerdicts: EngineVerdict[],
  tree: MimeTree,
  durationSeconds: number,
): MessageScan {
  const verdicts = [...results.map((result) => result.verdict), ...limitVerdicts];
  const status = verdicts.map((verdict) => verdict.status).reduce<ScanStatus>(worseStatus, 'clean');
  const reasons = verdicts.flatMap((verdict) =>
    verdict.reason === undefined ? [] : [verdict.reason],
  );
  // A transient clamd error decides the reason, so the message is retried rather than held.
  const reason = reasons.find((code) => !deterministicReasons.has(code)) ?? reasons[0] ?? '';
  const findings: Finding[] = results.flatMap(({ object, verdict }) =>
    findingsOf(objectLabel(object), verdict),
  );
  for (const verdict of limitVerdicts) findings.push(...findingsOf('message', verdict));
  return {
    status,
    reason: status === 'unscanned' ? reason : '',
    objects: results,
    findings,
    tree,
    durationSeconds,
  };
}

function findingsOf(label: string, verdict: EngineVerdict): Finding[] {
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
  return verdict.names.map((name) => ({ name, object: label, score: 0, detail: verdict.status }));
}
