import type { Finding, StageOutcome } from '@mailshield/proto/message';
import type { RecipientReply } from '../adapters/deliverer.js';
import { InterceptorErrorCode } from '../errors.js';

/** Results of one delivery attempt, per recipient. */
export interface AttemptResults {
  accepted: RecipientReply[];
  bounced: RecipientReply[];
  /** Handed on to the next delivery-retry record. */
  deferred: RecipientReply[];
  /** Deferred past the maximum age: given up and stored in Backup. */
  expired: RecipientReply[];
}

export type AttemptStatus = 'delivered' | 'bounced' | 'expired' | 'deferred';

/** Returns the results an attempt had, from the least to the most in need of attention. */
export function attemptStatuses(results: AttemptResults): AttemptStatus[] {
  const statuses: AttemptStatus[] = [];
  if (results.accepted.length > 0) statuses.push('delivered');
  if (results.bounced.length > 0) statuses.push('bounced');
  if (results.expired.length > 0) statuses.push('expired');
  if (results.deferred.length > 0) statuses.push('deferred');
  return statuses;
}

/**
 * Builds the ledger outcome of an attempt. Its status is the result that still needs
 * attention: deferred, then expired, then bounced, then delivered. Every recipient gets a
 * finding with the reply that decided it.
 */
export function attemptOutcome(base: StageOutcome, results: AttemptResults): StageOutcome {
  const status = attemptStatuses(results).pop() ?? 'delivered';
  const byStatus: Record<AttemptStatus, { action: string; reason: string }> = {
    delivered: { action: 'deliver', reason: '' },
    bounced: { action: 'hold', reason: InterceptorErrorCode.nextHopRejected },
    expired: { action: 'hold', reason: InterceptorErrorCode.deliveryExpired },
    deferred: { action: 'retry', reason: InterceptorErrorCode.nextHopDeferred },
  };
  return {
    ...base,
    status,
    ...byStatus[status],
    findings: [
      ...findings('next_hop_accepted', results.accepted),
      ...findings('next_hop_rejected', results.bounced),
      ...findings('delivery_expired', results.expired),
      ...findings('next_hop_deferred', results.deferred),
    ],
  };
}

/**
 * Builds the outcome stored in Backup with a message that delivery gave up on: status
 * bounced (some recipient got a 5xx reply) or expired, action hold, and the next hop's reply
 * for each recipient given up.
 */
export function backupOutcome(base: StageOutcome, results: AttemptResults): StageOutcome {
  const isBounced = results.bounced.length > 0;
  return {
    ...base,
    status: isBounced ? 'bounced' : 'expired',
    action: 'hold',
    reason: isBounced ? InterceptorErrorCode.nextHopRejected : InterceptorErrorCode.deliveryExpired,
    findings: [
      ...findings('next_hop_rejected', results.bounced),
      ...findings('delivery_expired', results.expired),
    ],
  };
}

function findings(name: string, replies: RecipientReply[]): Finding[] {
  return replies.map(({ recipient, reply }) => ({
    name,
    object: 'message',
    score: 0,
    detail: `${recipient}: ${reply}`,
  }));
}
