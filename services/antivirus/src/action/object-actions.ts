import { defaultVirusActions } from '@mailshield/common';
import { VirusAction, type VirusActions } from '@mailshield/proto/policy';
import { deterministicReasons } from '../errors.js';
import type { EngineVerdict } from '../engine/verdict.js';
import type { ObjectResult } from '../scan/scan-message.js';

/**
 * Order in which actions win when objects of one message call for different ones. Removing the
 * message outranks a retry, because nothing is delivered either way and the copy is in Backup.
 * A retry outranks removing one part, because the unscanned part cannot be judged yet.
 */
const severity: Record<VirusAction, number> = {
  [VirusAction.VIRUS_ACTION_UNSPECIFIED]: 0,
  [VirusAction.VIRUS_ACTION_SKIP]: 1,
  [VirusAction.VIRUS_ACTION_DELETE_OBJECT]: 2,
  [VirusAction.VIRUS_ACTION_TEMPFAIL]: 3,
  [VirusAction.VIRUS_ACTION_DELETE_MESSAGE]: 4,
  [VirusAction.VIRUS_ACTION_REJECT]: 5,
  [VirusAction.UNRECOGNIZED]: 0,
};

/** Returns the more severe of two actions. */
export function severerAction(a: VirusAction, b: VirusAction): VirusAction {
  return (severity[b] ?? 0) > (severity[a] ?? 0) ? b : a;
}

/**
 * Returns the action for one verdict: by status, and for unscanned by whether a limit (never changes
 * on retry) or the engine (may recover) is the cause. UNSPECIFIED means nothing to do.
 */
export function verdictAction(verdict: EngineVerdict, actions: VirusActions): VirusAction {
  const chosen = pick(actions);
  switch (verdict.status) {
    case 'clean':
    case 'blocked':
      return VirusAction.VIRUS_ACTION_UNSPECIFIED;
    case 'infected':
      return chosen('onInfected');
    case 'protected':
      return chosen('onProtected');
    case 'corrupted':
      return chosen('onCorrupted');
    case 'unscanned':
      return deterministicReasons.has(verdict.reason ?? '')
        ? chosen('onLimitExceeded')
        : chosen('onEngineError');
  }
}

/** Returns the severer of the actions for an object's verdict and for its attachment rule. */
export function objectAction(result: ObjectResult, actions: VirusActions): VirusAction {
  const byVerdict = verdictAction(result.verdict, actions);
  if (result.rule === undefined) return byVerdict;
  return severerAction(byVerdict, result.rule.action);
}

/** Reads an action, taking the default for one that is unset or unknown to this version. */
function pick(actions: VirusActions): (key: keyof VirusActions) => VirusAction {
  const defaults = defaultVirusActions();
  return (key) => {
    const value = actions[key];
    const isKnown =
      value > VirusAction.VIRUS_ACTION_UNSPECIFIED && value <= VirusAction.VIRUS_ACTION_TEMPFAIL;
    return isKnown ? value : defaults[key];
  };
}
