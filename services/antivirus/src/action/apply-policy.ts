import {
  defaultVirusActions,
  prependHeaders,
  removeHeaderFields,
  tagSubject,
} from '@mailshield/common';
import { Disposition, QueueMode } from '@mailshield/proto/message';
import { VirusAction, type AntivirusPolicy, type VirusActions } from '@mailshield/proto/policy';
import { deterministicReasons } from '../errors.js';
import { worseStatus, type ScanStatus } from '../engine/verdict.js';
import type { MessageScan } from '../scan/scan-message.js';
import { objectAction, severerAction, verdictAction } from './object-actions.js';
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
  isOutbound: boolean;
  /** Scans a changed message again, to confirm that replacing parts removed every finding. */
  rescan: (raw: Buffer) => Promise<MessageScan>;
}

/** Applies the policy: each object's action, and for the message the severest of them. */
export async function applyPolicy(
  raw: Buffer,
  scan: MessageScan,
  context: PolicyContext,
): Promise<ActionPlan> {
  const actions = directionActions(context);
  const action = messageAction(scan, actions);
  const summary = summaryOf(scan);
  switch (action) {
    case VirusAction.VIRUS_ACTION_UNSPECIFIED:
      // A sender must not be able to pass its own verdict header on to the recipient.
      return plan(
        'deliver',
        Disposition.DISPOSITION_DELIVER,
        removeHeaderFields(raw, [VIRUS_HEADER]),
      );
    case VirusAction.VIRUS_ACTION_SKIP:
      return plan('skip', Disposition.DISPOSITION_DELIVER, marked(raw, scan, context, summary));
    case VirusAction.VIRUS_ACTION_DELETE_OBJECT:
      return (await deleteObjects(raw, scan, context, actions, summary)) ?? deleteMessage(raw);
    case VirusAction.VIRUS_ACTION_DELETE_MESSAGE:
      return deleteMessage(raw);
    case VirusAction.VIRUS_ACTION_REJECT:
      return {
        ...plan('reject', Disposition.DISPOSITION_REJECT, raw),
        reply: rejectReply(scan, actions),
        needsBackup: true,
      };
    default:
      return tempfail(raw, scan, context.queueMode);
  }
}

function directionActions(context: PolicyContext): VirusActions {
  const actions = context.isOutbound ? context.policy?.outbound : context.policy?.inbound;
  return actions ?? defaultVirusActions();
}

/** Returns the severest action of the message's objects and limits, UNSPECIFIED when all are clean. */
export function messageAction(scan: MessageScan, actions: VirusActions): VirusAction {
  let action: VirusAction = VirusAction.VIRUS_ACTION_UNSPECIFIED;
  for (const result of scan.objects) action = severerAction(action, objectAction(result, actions));
  for (const verdict of scan.messageLimits) {
    action = severerAction(action, verdictAction(verdict, actions));
  }
  return action;
}

/** `<status> (<names>)`, such as `infected (Eicar-Test-Signature)`. */
export function summaryOf(scan: MessageScan): string {
  const names = [...new Set(scan.findings.map((finding) => finding.name))];
  return names.length === 0 ? scan.status : `${scan.status} (${names.join(', ')})`;
}

/** Adds the verdict header and the subject tag of the message's status, if the policy has one. */
function marked(raw: Buffer, scan: MessageScan, context: PolicyContext, summary: string): Buffer {
  let out = prependHeaders(removeHeaderFields(raw, [VIRUS_HEADER]), [[VIRUS_HEADER, summary]]);
  const tag = context.policy?.subjectTags[scan.status];
  if (tag !== undefined && tag !== '') out = tagSubject(out, tag);
  return out;
}

function plan(action: string, disposition: Disposition, raw: Buffer): ActionPlan {
  return { action, disposition, reply: '', raw, needsBackup: false, shouldRetry: false };
}

function deleteMessage(raw: Buffer): ActionPlan {
  return { ...plan('delete_message', Disposition.DISPOSITION_DELETE, raw), needsBackup: true };
}

/**
 * Builds the 550 reply. It names the worst status among the objects whose own action is
 * reject, so a limit that rejects is not reported as a blocked attachment.
 */
function rejectReply(scan: MessageScan, actions: VirusActions): string {
  const causes = rejectCauses(scan, actions);
  const status = causes.reduce<ScanStatus>(worseStatus, 'clean');
  const names = [...new Set(scan.findings.map((finding) => finding.name))].join(', ');
  switch (status) {
    case 'infected':
      return `550 5.7.1 Message rejected: virus found (${names})`;
    case 'blocked':
      return `550 5.7.1 Message rejected: attachment not allowed by policy (${scan.reason})`;
    case 'protected':
      return `550 5.7.1 Message rejected: encrypted content (${names})`;
    case 'corrupted':
      return `550 5.7.1 Message rejected: corrupted content (${names})`;
    default: {
      const reasons = [...scan.objects.map((result) => result.verdict), ...scan.messageLimits]
        .filter((verdict) => verdict.status === 'unscanned')
        .map((verdict) => verdict.reason ?? '');
      const reason = reasons[0] ?? scan.reason;
      return deterministicReasons.has(reason)
        ? `550 5.7.1 Message rejected: content exceeds the scan limits (${reason})`
        : `550 5.7.1 Message rejected: content could not be scanned (${reason})`;
    }
  }
}

/** Statuses that call for reject: of verdicts whose action is reject, and blocked by a rule. */
function rejectCauses(scan: MessageScan, actions: VirusActions): ScanStatus[] {
  const reject = VirusAction.VIRUS_ACTION_REJECT;
  const causes: ScanStatus[] = [];
  for (const result of scan.objects) {
    if (verdictAction(result.verdict, actions) === reject) causes.push(result.verdict.status);
    if (result.rule?.action === reject) causes.push('blocked');
  }
  for (const verdict of scan.messageLimits) {
    if (verdictAction(verdict, actions) === reject) causes.push(verdict.status);
  }
  return causes;
}

/**
 * Before-queue: reply 451. After-queue: retry the scan later when the cause may go away
 * (clamd down or slow); hold the message in Backup when it never will (a limit of the
 * message itself, or a status whose action is tempfail), because retrying it would block the
 * partition forever.
 */
function tempfail(raw: Buffer, scan: MessageScan, queueMode: QueueMode): ActionPlan {
  if (queueMode === QueueMode.QUEUE_MODE_BEFORE_QUEUE) {
    return {
      ...plan('tempfail', Disposition.DISPOSITION_TEMPFAIL, raw),
      reply: '451 4.7.0 Virus scan failed, try again later',
    };
  }
  if (!hasEngineError(scan)) {
    return { ...plan('hold', Disposition.DISPOSITION_HOLD, raw), needsBackup: true };
  }
  return { ...plan('tempfail', Disposition.DISPOSITION_TEMPFAIL, raw), shouldRetry: true };
}

/**
 * True when some object could not be scanned for a reason that may go away, such as clamd
 * being down, whatever the message's status: a blocked attachment outranks unscanned, but the
 * rest of the message still needs its scan.
 */
function hasEngineError(scan: MessageScan): boolean {
  const verdicts = [...scan.objects.map((result) => result.verdict), ...scan.messageLimits];
  return verdicts.some(
    (verdict) => verdict.status === 'unscanned' && !deterministicReasons.has(verdict.reason ?? ''),
  );
}

/**
 * Replaces every part whose action is delete-object with a notice, then scans the result
 * again and applies the policy to it. The raw message object is never replaced, because the
 * rescan judges it. Returns undefined, so that the caller deletes the whole message, in two
 * cases. Either such a part has no bytes of its own to replace (the body of a single-part
 * message, or a second Content-Type reading), or the changed message still calls for more
 * than skip.
 */
async function deleteObjects(
  raw: Buffer,
  scan: MessageScan,
  context: PolicyContext,
  actions: VirusActions,
  summary: string,
): Promise<ActionPlan | undefined> {
  const replacements: PartReplacement[] = [];
  for (const result of scan.objects) {
    const { object, verdict, rule } = result;
    if (object.kind === 'message') continue;
    if (objectAction(result, actions) !== VirusAction.VIRUS_ACTION_DELETE_OBJECT) continue;
    if (object.replaceableRange === undefined) return undefined;
    const reasons: string[] = [];
    if (verdict.names.length > 0) reasons.push(`it contained ${verdict.names.join(', ')}`);
    else if (verdict.status === 'unscanned')
      reasons.push(`it could not be scanned (${verdict.reason ?? 'unscanned'})`);
    if (rule !== undefined) reasons.push(`the policy blocks its file type or name (${rule.name})`);
    replacements.push({
      range: object.replaceableRange,
      name: object.fileName ?? `part ${object.path}`,
      reasons,
    });
  }
  if (replacements.length === 0) return undefined;
  const replaced = replaceParts(raw, replacements);
  const check = await context.rescan(replaced);
  const after = messageAction(check, actions);
  if (after === VirusAction.VIRUS_ACTION_TEMPFAIL) return tempfail(raw, check, context.queueMode);
  if (after !== VirusAction.VIRUS_ACTION_UNSPECIFIED && after !== VirusAction.VIRUS_ACTION_SKIP)
    return undefined;
  const out = marked(replaced, scan, context, summary);
  return { ...plan('delete_object', Disposition.DISPOSITION_DELIVER, out), needsBackup: true };
}
