import { AntispamReason } from '../errors.js';
import { bodyRulesCheck } from './checks/body-rules.js';
import { gtubeCheck } from './checks/gtube.js';
import { headerRulesCheck } from './checks/header-rules.js';
import { obfuscationCheck } from './checks/obfuscation.js';
import { massMailingCheck } from './checks/mass-mailing.js';
import { senderListsCheck } from './checks/sender-lists.js';
import { MessageParseError, parseMessage } from './parse.js';
import { decideStatus, type SpamStatus } from './status.js';
import type { Check, CheckContext, Finding } from './types.js';

/** The checks the service runs, in report order. */
export const defaultChecks: readonly Check[] = [
  gtubeCheck,
  senderListsCheck,
  headerRulesCheck,
  bodyRulesCheck,
  obfuscationCheck,
  massMailingCheck,
];

/** A finding with the name of the check that produced it. */
export interface ScoredFinding extends Finding {
  check: string;
}

export interface ScoreResult {
  status: SpamStatus;
  /** Sum of the finding scores, rounded to hundredths. */
  score: number;
  findings: ScoredFinding[];
  /** Reason code when something went wrong (AS_PARSE_FAILED, AS_CHECK_FAILED), else ''. */
  reason: string;
  /** Names of the checks that threw or timed out. */
  failedChecks: string[];
  /** Why parsing failed, when status is not_scanned. */
  parseError?: string;
}

export interface EngineHooks {
  /** Called for each check that throws or does not finish before the deadline. */
  onCheckFailed?(check: string, err: unknown): void;
}

function abortedPromise(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(signal.reason ?? new Error('scan deadline passed'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

/** Runs independent checks over a message and turns their findings into a status. */
export class ScoringEngine {
  constructor(
    private readonly checks: readonly Check[] = defaultChecks,
    private readonly hooks: EngineHooks = {},
  ) {}

  /** Scores a raw message. Never throws for a bad message: parse failures give not_scanned. */
  async score(raw: Buffer, context: CheckContext): Promise<ScoreResult> {
    let message;
    try {
      message = await parseMessage(raw);
    } catch (err) {
      if (!(err instanceof MessageParseError)) throw err;
      return {
        status: 'not_scanned',
        score: 0,
        findings: [],
        reason: AntispamReason.parseFailed,
        failedChecks: [],
        parseError: err.message,
      };
    }
    const aborted = abortedPromise(context.signal);
    aborted.catch(() => undefined);
    const failedChecks: string[] = [];
    const results = await Promise.all(
      this.checks.map(async (check) => {
        try {
          const found = await Promise.race([Promise.resolve(check.run(message, context)), aborted]);
          return found.map((finding): ScoredFinding => ({ ...finding, check: check.name }));
        } catch (err) {
          failedChecks.push(check.name);
          this.hooks.onCheckFailed?.(check.name, err);
          return [];
        }
      }),
    );
    const findings = results.flat();
    const score = Math.round(findings.reduce((sum, finding) => sum + finding.score, 0) * 100) / 100;
    const status = decideStatus(findings, score, context.policy);
    return {
      status,
      score,
      findings,
      reason: failedChecks.length > 0 ? AntispamReason.checkFailed : '',
      failedChecks,
    };
  }
}
