import type { ARCResult, DKIMVerifyResult, DMARCResult, SPFResult } from 'mailauth';
import type { Finding } from '../types.js';

/**
 * Scores of the authentication findings. Passing results lower the score only a little,
 * because spammers authenticate their own domains too. Failures raise it by what they mean:
 * a DMARC failure under p=reject means the From domain's owner says the message is forged.
 * DNS failures (the *_TEMPERROR findings) score 0, so a DNS outage never makes mail spam.
 */
export const AUTH_SCORES = {
  SPF_PASS: -0.1,
  SPF_FAIL: 1.0,
  SPF_SOFTFAIL: 0.5,
  SPF_PERMERROR: 0.3,
  SPF_TEMPERROR: 0,
  DKIM_VALID: -0.1,
  DKIM_INVALID: 1.0,
  DKIM_TEMPERROR: 0,
  DMARC_PASS: -0.2,
  DMARC_REJECT: 3.5,
  DMARC_QUARANTINE: 2.0,
  DMARC_FAIL: 0.1,
  DMARC_TEMPERROR: 0,
  ARC_PASS: 0,
  ARC_INVALID: 0.5,
  AUTH_TEMPERROR: 0,
} as const;

export type AuthRule = keyof typeof AUTH_SCORES;

export function authFinding(name: AuthRule, object: string, detail: string): Finding {
  return { name, object, score: AUTH_SCORES[name], detail };
}

function withComment(text: string, comment: unknown): string {
  return typeof comment === 'string' && comment !== '' ? `${text} (${comment})` : text;
}

/** Maps SPF of the MAIL FROM domain (or of the HELO name for the null sender) to a finding. */
export function spfFindings(result: SPFResult): Finding[] {
  const subject = `${result.domain} from ${result['client-ip']}`;
  const make = (name: AuthRule, verb: string) =>
    authFinding(name, 'envelope', withComment(`SPF ${verb} for ${subject}`, result.status.comment));
  switch (result.status.result) {
    case 'pass':
      return [make('SPF_PASS', 'pass')];
    case 'fail':
      return [make('SPF_FAIL', 'fail')];
    case 'softfail':
      return [make('SPF_SOFTFAIL', 'softfail')];
    case 'permerror':
      return [make('SPF_PERMERROR', 'permerror')];
    case 'temperror':
    case 'temperr':
      return [make('SPF_TEMPERROR', 'temperror')];
    default:
      // neutral and none carry no verdict on the message.
      return [];
  }
}

/**
 * Returns one DKIM finding for the message: valid when any signature verifies (a list or forwarder
 * may add a signature of its own beside a broken one), else invalid or temperror.
 */
export function dkimFindings(result: DKIMVerifyResult): Finding[] {
  const signatures = result.results ?? [];
  const describe = (row: (typeof signatures)[number]) =>
    withComment(`d=${row.signingDomain} s=${row.selector ?? '?'}`, row.status.comment);
  const passed = signatures.filter((row) => row.status.result === 'pass');
  if (passed.length > 0) {
    const detail = `valid signature ${passed.map(describe).join(', ')}`;
    return [authFinding('DKIM_VALID', 'header:DKIM-Signature', detail)];
  }
  const broken = signatures.filter((row) => !['none', 'temperror'].includes(row.status.result));
  if (broken.length > 0) {
    const detail = `no valid signature: ${broken.map(describe).join(', ')}`;
    return [authFinding('DKIM_INVALID', 'header:DKIM-Signature', detail)];
  }
  const failed = signatures.filter((row) => row.status.result === 'temperror');
  if (failed.length === 0) return [];
  const detail = `key lookup failed: ${failed.map(describe).join(', ')}`;
  return [authFinding('DKIM_TEMPERROR', 'header:DKIM-Signature', detail)];
}

/**
 * Maps DMARC of the From domain to a finding. A failure is scored by the policy the domain publishes (sp= for
 * a subdomain). pct=0 counts as p=none, and any other pct as the policy itself.
 */
export function dmarcFindings(result: DMARCResult | false): Finding[] {
  if (result === false) return [];
  const domain = result.domain;
  switch (result.status.result) {
    case 'pass':
      return [authFinding('DMARC_PASS', 'header:From', `DMARC pass for ${domain}`)];
    case 'temperror':
    case 'temperr':
      return [
        authFinding(
          'DMARC_TEMPERROR',
          'header:From',
          withComment(`DMARC record of ${domain}`, result.error),
        ),
      ];
    case 'fail':
      return [dmarcFailure(result)];
    default:
      return [];
  }
}

function dmarcFailure(result: DMARCResult): Finding {
  const policy = result.pct === 0 ? 'none' : result.policy;
  const detail = `${result.domain} is not aligned with a passing SPF or DKIM domain; p=${policy}`;
  if (policy === 'reject') return authFinding('DMARC_REJECT', 'header:From', detail);
  if (policy === 'quarantine') return authFinding('DMARC_QUARANTINE', 'header:From', detail);
  return authFinding('DMARC_FAIL', 'header:From', detail);
}

/**
 * Reports the ARC chain of earlier hops, without score for a pass: without a list of trusted sealers a passing
 * chain cannot excuse a DMARC failure, so ARC_PASS adds no score.
 */
export function arcFindings(result: ARCResult | undefined): Finding[] {
  if (result === undefined) return [];
  const instance = result.i === false ? '?' : String(result.i);
  switch (result.status.result) {
    case 'pass':
      return [authFinding('ARC_PASS', 'header:ARC-Seal', `ARC chain of ${instance} hops verifies`)];
    case 'fail':
      return [
        authFinding(
          'ARC_INVALID',
          'header:ARC-Seal',
          withComment(`ARC chain i=${instance} does not verify`, result.status.comment),
        ),
      ];
    default:
      return [];
  }
}
