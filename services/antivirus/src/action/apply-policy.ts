import { defaultPolicy, prependHeaders, removeHeaderFields } from '@mailshield/common';
import { Disposition, QueueMode } from '@mailshield/proto/message';
import { VirusAction, type AntivirusPolicy } from '@mailshield/proto/policy';
import { deterministicReasons } from '../errors.js';
import type { ScanStatus } from '../engine/verdict.js';
import type { MessageScan } from '../scan/scan-message.js';
import { replaceParts, type PartReplacement } from './replace-parts.js';

/** Header that reports the antivirus status and findings to later stages and the recipient. */
export const VIRUS_HEADER = 'X-Mailshield-Virus';

/** Decision for a scanned message: its action, disposition and the bytes to pass on. */
export interface ActionPlan {
  /** Outcome action word: deliver, skip, delete_object, delete_message, reject, tempfail, hold. */
  action: string;
  disposition: Disposition;
  /** SMTP reply for reject and tempfail; '' otherwise. */
  reply: string;
  /** The message to pass on (headers added, parts replaced), or the original. */
  raw: Buffer;
  /** True when the original must be in Backup before the plan takes effect. */
  needsBackup: boolean;
  /** True when an after-queue scan must be retried later instead of passing the message on. */
  shouldRetry: boolean;
}

export interface PolicyContext {
  policy: AntivirusPolicy | undefined;
  queueMode: QueueMode;
  /** Scans a changed message again, to confirm that replacing parts removed every finding. */
  rescan: (raw: Buffer) => Promise<MessageScan>;
}

/** Applies the policy action for the message's status. */
export async function applyPolicy(
  raw: Buffer,
  scan: MessageScan,
  context: PolicyContext,
): Promise<ActionPlan> {
  // A sender must not be able to pass its own verdict header on to the recipient.
  if (scan.status === 'clean') {
    return plan(
      'deliver',
      Disposition.DISPOSITION_DELIVER,
      removeHeaderFields(raw, [VIRUS_HEADER]),
    );
  }
  const action = actionFor(context.policy, scan.status);
  const summary = summaryOf(scan);
  switch (action) {
    case VirusAction.VIRUS_ACTION_SKIP:
      return plan(
        'skip',
        Disposition.DISPOSITION_DELIVER,
        prependHeaders(removeHeaderFields(raw, [VIRUS_HEADER]), [[VIRUS_HEADER, summary]]),
      );
    case VirusAction.VIRUS_ACTION_DELETE_OBJECT:
      return (await deleteObjects(raw, scan, context, summary)) ?? deleteMessage(raw);
    case VirusAction.VIRUS_ACTION_DELETE_MESSAGE:
      return deleteMessage(raw);
    case VirusAction.VIRUS_ACTION_REJECT:
      return {
        ...plan('reject', Disposition.DISPOSITION_REJECT, raw),
        reply: rejectReply(scan),
        needsBackup: true,
      };
    default:
      return tempfail(raw, scan, context.queueMode);
  }
}

/** Returns the policy's action for a status. An unset action falls back to the default policy's. */
export function actionFor(policy: AntivirusPolicy | undefined, status: ScanStatus): VirusAction {
  const fallback = defaultPolicy().antivirus!;
  const pick = (key: 'onInfected' | 'onProtected' | 'onCorrupted' | 'onUnscanned'): VirusAction => {
    const chosen = policy?.[key] ?? VirusAction.VIRUS_ACTION_UNSPECIFIED;
    const isKnown =
      chosen > VirusAction.VIRUS_ACTION_UNSPECIFIED && chosen <= VirusAction.VIRUS_ACTION_TEMPFAIL;
    return isKnown ? chosen : fallback[key];
  };
  if (status === 'infected') return pick('onInfected');
  if (status === 'protected') return pick('onProtected');
  if (status === 'corrupted') return pick('onCorrupted');
  return pick('onUnscanned');
}

/** `<status> (<names>)`, such as `infected (Eicar-Test-Signature)`. */
export function summaryOf(scan: MessageScan): string {
  const names = [...new Set(scan.findings.map((finding) => finding.name))];
  return names.length === 0 ? scan.status : `${scan.status} (${names.join(', ')})`;
}

function plan(action: string, disposition: Disposition, raw: Buffer): ActionPlan {
  return { action, disposition, reply: '', raw, needsBackup: false, shouldRetry: false };
}

function deleteMessage(raw: Buffer): ActionPlan {
  return { ...plan('delete_message', Disposition.DISPOSITION_DELETE, raw), needsBackup: true };
}

function rejectReply(scan: MessageScan): string {
  const names = [...new Set(scan.findings.map((finding) => finding.name))].join(', ');
  if (scan.status === 'infected') return `550 5.7.1 Message rejected: virus found (${names})`;
  if (scan.status === 'protected')
    return `550 5.7.1 Message rejected: encrypted content (${names})`;
  if (scan.status === 'corrupted')
    return `550 5.7.1 Message rejected: corrupted content (${names})`;
  return `550 5.7.1 Message rejected: content could not be scanned (${scan.reason})`;
}

/**
 * Before-queue: reply 451. After-queue: retry the scan later when the cause may go away
 * (clamd down or slow); hold the message in Backup when it never will (a limit of the
 * message itself), because retrying it would block the partition forever.
 */
function tempfail(raw: Buffer, scan: MessageScan, queueMode: QueueMode): ActionPlan {
  if (queueMode === QueueMode.QUEUE_MODE_BEFORE_QUEUE) {
    return {
      ...plan('tempfail', Disposition.DISPOSITION_TEMPFAIL, raw),
      reply: '451 4.7.0 Virus scan failed, try again later',
    };
  }
  const isPermanent = scan.status !== 'unscanned' || deterministicReasons.has(scan.reason);
  if (isPermanent) return { ...plan('hold', Disposition.DISPOSITION_HOLD, raw), needsBackup: true };
  return { ...plan('tempfail', Disposition.DISPOSITION_TEMPFAIL, raw), shouldRetry: true };
}

/**
 * Replaces every flagged part with a notice, then scans the result again. Returns undefined
 * when a flagged object has no part of its own to replace, such as the body of a single-part
 * message, the raw message or a second Content-Type reading. It also returns undefined when
 * the changed message is still not clean. The caller then deletes the whole message.
 */
async function deleteObjects(
  raw: Buffer,
  scan: MessageScan,
  context: PolicyContext,
  summary: string,
): Promise<ActionPlan | undefined> {
  const replacements: PartReplacement[] = [];
  for (const { object, verdict } of scan.objects) {
    if (verdict.status === 'clean' || object.kind === 'message') continue;
    if (object.replaceableRange === undefined) return undefined;
    const names = verdict.names.length > 0 ? verdict.names : [verdict.reason ?? verdict.status];
    replacements.push({
      range: object.replaceableRange,
      name: object.fileName ?? `part ${object.path}`,
      names,
    });
  }
  if (replacements.length === 0) return undefined;
  const replaced = replaceParts(raw, replacements);
  const check = await context.rescan(replaced);
  if (check.status === 'unscanned' && !deterministicReasons.has(check.reason)) {
    return tempfail(raw, check, context.queueMode);
  }
  if (check.status !== 'clean') return undefined;
  const out = prependHeaders(removeHeaderFields(replaced, [VIRUS_HEADER]), [
    [VIRUS_HEADER, summary],
  ]);
  return { ...plan('delete_object', Disposition.DISPOSITION_DELIVER, out), needsBackup: true };
}
