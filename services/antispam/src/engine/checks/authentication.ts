import { isIP } from 'node:net';
import { arc, dkimVerify, dmarc, spf } from 'mailauth';
import type {
  ARCData,
  ARCResult,
  DKIMVerifyResult,
  DMARCResult,
  DNSResolver,
  SPFResult,
} from 'mailauth';
import { normalizeAddress } from '../../dns/query-names.js';
import type { DnsResolver } from '../../dns/resolver.js';
import type { Check, CheckContext, Finding, ParsedMessage } from '../types.js';
import {
  arcFindings,
  authFinding,
  dkimFindings,
  dmarcFindings,
  spfFindings,
} from './authentication-findings.js';

export interface AuthenticationCheckOptions {
  /** Name of this gateway in the comments of SPF results. Default "mailshield". */
  authservId?: string;
  /** Shortest RSA key accepted for DKIM and ARC, in bits. Default 1024 (RFC 8301). */
  minKeyBits?: number;
}

/** Adapts a DnsResolver to mailauth's resolver callback, bound to the check's deadline. */
function mailauthResolver(resolver: DnsResolver, signal: AbortSignal): DNSResolver {
  return (name, type) =>
    resolver.resolve(name, type as Parameters<DnsResolver['resolve']>[1], signal) as Promise<
      string[]
    >;
}

interface Identities {
  /** Client address, or undefined when the envelope has none (SPF is then skipped). */
  ip: string | undefined;
  helo: string | undefined;
  sender: string | undefined;
}

function identities(context: CheckContext): Identities {
  const ip = normalizeAddress(context.envelope.clientAddress);
  let helo = context.envelope.helo.trim() || ip;
  // An address literal as HELO is written in brackets (RFC 5321 section 4.1.3).
  if (helo !== undefined && isIP(helo) !== 0) helo = `[${helo}]`;
  const sender = context.envelope.mailFrom.trim().replace(/^<|>$/g, '') || undefined;
  return { ip, helo, sender };
}

async function verifyAll(
  raw: Buffer,
  context: CheckContext,
  resolve: DNSResolver,
  options: Required<AuthenticationCheckOptions>,
): Promise<{ dkim: DKIMVerifyResult; spf?: SPFResult; arc?: ARCResult }> {
  const { ip, helo, sender } = identities(context);
  const [dkimResult, spfResult] = await Promise.all([
    dkimVerify(raw, { resolver: resolve, sender, minBitLength: options.minKeyBits }),
    ip === undefined
      ? undefined
      : spf({ ip, helo, sender, mta: options.authservId, resolver: resolve }),
  ]);
  const chain = (dkimResult as { arc?: ARCData }).arc;
  const arcResult =
    chain === undefined
      ? undefined
      : await arc(chain, { resolver: resolve, minBitLength: options.minKeyBits });
  return { dkim: dkimResult, spf: spfResult, arc: arcResult };
}

type Results = Awaited<ReturnType<typeof verifyAll>>;

/** Verifies DMARC of the single From domain from the SPF and DKIM results (false without one). */
function verifyDmarc(results: Results, resolve: DNSResolver): Promise<DMARCResult | false> {
  const headerFrom = results.dkim.headerFrom ?? [];
  if (headerFrom.length === 0) return Promise.resolve(false);
  const spfPassed = results.spf?.status.result === 'pass' && results.spf.domain !== '';
  return dmarc({
    headerFrom,
    spfDomains: spfPassed ? [results.spf!.domain] : [],
    dkimDomains: (results.dkim.results ?? [])
      .filter((row) => row.status.result === 'pass')
      .map((row) => ({
        id: row.id,
        domain: row.signingDomain,
        aligned: row.status.aligned,
        underSized: row.status.underSized,
      })),
    arcResult: results.arc,
    resolver: resolve,
  });
}

async function authenticate(
  message: ParsedMessage,
  context: CheckContext,
  resolver: DnsResolver,
  options: Required<AuthenticationCheckOptions>,
): Promise<Finding[]> {
  const resolve = mailauthResolver(resolver, context.signal);
  const results = await verifyAll(message.raw, context, resolve, options);
  const dmarcResult = await verifyDmarc(results, resolve);
  return [
    ...(results.spf === undefined ? [] : spfFindings(results.spf)),
    ...dkimFindings(results.dkim),
    ...dmarcFindings(dmarcResult),
    ...arcFindings(results.arc),
  ];
}

/**
 * SPF (client address, HELO and MAIL FROM of the envelope), DKIM, DMARC and ARC of the raw
 * message, with mailauth over the given resolver. SPF is skipped when the envelope has no
 * client address, and the whole check for outbound mail, which the organisation's own
 * servers send. A DNS failure gives a *_TEMPERROR finding with no score, and an unexpected
 * error gives AUTH_TEMPERROR, so the check itself never fails a message.
 */
export function authenticationCheck(
  resolver: DnsResolver,
  options: AuthenticationCheckOptions = {},
): Check {
  const settings: Required<AuthenticationCheckOptions> = {
    authservId: options.authservId ?? 'mailshield',
    minKeyBits: options.minKeyBits ?? 1024,
  };
  return {
    name: 'authentication',
    async run(message, context): Promise<Finding[]> {
      if (context.envelope.outbound) return [];
      let findings: Finding[];
      try {
        findings = await authenticate(message, context, resolver, settings);
      } catch (err) {
        if (context.signal.aborted) throw err;
        const detail = `authentication failed: ${(err as Error).message}`;
        return [authFinding('AUTH_TEMPERROR', 'message', detail)];
      }
      // mailauth reports cancelled lookups as DNS failures. Past the deadline the engine's
      // "check failed" is accurate, and a temperror finding would not be.
      if (context.signal.aborted) throw context.signal.reason ?? new Error('scan deadline passed');
      return findings;
    },
  };
}
