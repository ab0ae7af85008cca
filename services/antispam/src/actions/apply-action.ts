import { tagSubject } from '@mailshield/common';
import { Disposition } from '@mailshield/proto/message';
import { SpamAction, type AntispamPolicy } from '@mailshield/proto/policy';
import type { ScoreResult } from '../engine/engine.js';
import { addSpamHeaders } from './spam-headers.js';

/** SMTP reply for a rejected message (RFC 3463 5.7.1: delivery not authorized). */
export const REJECT_REPLY = '550 5.7.1 Message rejected as spam';

/** Action names as written in StageOutcome.action. */
export type ActionName = 'skip' | 'add_headers' | 'tag' | 'reject' | 'delete_message' | 'hold';

export interface ActionResult {
  action: ActionName;
  /** The message to pass on: headers may differ from the input, the body never does. */
  raw: Buffer;
  disposition: Disposition;
  /** SMTP reply for a reject, else ''. */
  reply: string;
  /** True when the original must be in Backup before the record moves on. */
  needsBackup: boolean;
}

/** The policy's action for a status; clean and not-scanned mail always gets headers only. */
export function actionFor(result: ScoreResult, policy: AntispamPolicy): SpamAction {
  switch (result.status) {
    case 'spam':
      return policy.onSpam;
    case 'probable_spam':
      return policy.onProbableSpam;
    case 'blacklisted':
      return policy.onBlacklisted;
    case 'mass_mailing':
      return policy.onMassMailing;
    case 'clean':
    case 'not_scanned':
      return SpamAction.SPAM_ACTION_ADD_HEADERS;
  }
}

/** Applies the policy's action for the scored status to a raw message. */
export function applyAction(
  raw: Buffer,
  result: ScoreResult,
  policy: AntispamPolicy,
): ActionResult {
  const keep = { raw, reply: '', disposition: Disposition.DISPOSITION_DELIVER, needsBackup: false };
  const destroy = { raw, reply: '', needsBackup: true };
  switch (actionFor(result, policy)) {
    case SpamAction.SPAM_ACTION_SKIP:
      return { ...keep, action: 'skip' };
    case SpamAction.SPAM_ACTION_TAG_SUBJECT:
      return {
        ...keep,
        action: 'tag',
        raw: addSpamHeaders(tagSubject(raw, policy.subjectTag), result, policy),
      };
    case SpamAction.SPAM_ACTION_REJECT:
      return {
        ...destroy,
        action: 'reject',
        disposition: Disposition.DISPOSITION_REJECT,
        reply: REJECT_REPLY,
      };
    case SpamAction.SPAM_ACTION_DELETE:
      return { ...destroy, action: 'delete_message', disposition: Disposition.DISPOSITION_DELETE };
    case SpamAction.SPAM_ACTION_HOLD:
      return { ...destroy, action: 'hold', disposition: Disposition.DISPOSITION_HOLD };
    default:
      // ADD_HEADERS, and UNSPECIFIED or unknown values from a newer control plane: marking is
      // the least destructive action that still tells the recipient's server.
      return { ...keep, action: 'add_headers', raw: addSpamHeaders(raw, result, policy) };
  }
}
