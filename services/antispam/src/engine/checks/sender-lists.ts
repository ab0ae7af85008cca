import { parsePath, type Mailbox } from '../address.js';
import type { Check, CheckContext, Finding, ParsedMessage } from '../types.js';
import { compileLists, isListed, type ListSet } from './list-scopes.js';

interface Identity {
  object: string;
  mailbox: Mailbox;
}

/** The sender identities the lists apply to: the envelope sender and every From mailbox. */
function senderIdentities(message: ParsedMessage, context: CheckContext): Identity[] {
  const identities = message.from.map((mailbox) => ({ object: 'header:From', mailbox }));
  const mailFrom = context.envelope.mailFrom;
  if (mailFrom !== '') {
    const mailbox = parsePath(mailFrom);
    // An envelope sender that does not parse can match nothing, so it can never be allowed.
    identities.push({
      object: 'envelope',
      mailbox: mailbox ?? { localPart: '', domain: '', address: '' },
    });
  }
  return identities;
}

/** Distinct recipient domains of the envelope, lower case. */
function recipientDomains(context: CheckContext): string[] {
  const domains = context.envelope.rcptTo
    .map((recipient) => parsePath(recipient)?.domain)
    .filter((domain) => domain !== undefined);
  return [...new Set(domains)];
}

function scopeSuffix(set: ListSet): string {
  return set.scope === 'global lists' ? '' : ` (${set.scope})`;
}

function blockFinding(sets: ListSet[], identities: Identity[], client: string): Finding[] {
  for (const set of sets) {
    const blocked = identities.find((identity) => isListed(set.senderBlock, identity.mailbox));
    if (blocked !== undefined) {
      const detail = `sender ${blocked.mailbox.address} is on the block list${scopeSuffix(set)}`;
      return [
        { name: 'SENDER_BLOCKLISTED', object: blocked.object, score: 0, detail, effect: 'block' },
      ];
    }
    const network = set.networkBlock.find(client);
    if (network !== undefined) {
      const detail = `client ${client} is in blocked network ${network}${scopeSuffix(set)}`;
      return [
        { name: 'NETWORK_BLOCKLISTED', object: 'envelope', score: 0, detail, effect: 'block' },
      ];
    }
  }
  return [];
}

type AllowReason = 'network' | 'sender' | undefined;

/** Returns why the lists of one recipient domain (global plus its own) allow the message. */
function allowReason(sets: ListSet[], identities: Identity[], client: string): AllowReason {
  if (sets.some((set) => set.networkAllow.find(client) !== undefined)) return 'network';
  const allow = sets.flatMap((set) => set.senderAllow);
  const hasFrom = identities.some((identity) => identity.object === 'header:From');
  if (hasFrom && identities.every((identity) => isListed(allow, identity.mailbox))) return 'sender';
  return undefined;
}

function allowFindings(reasons: Set<AllowReason>, identities: Identity[], client: string) {
  const findings: Finding[] = [];
  if (reasons.has('network')) {
    findings.push({
      name: 'NETWORK_ALLOWLISTED',
      object: 'envelope',
      score: 0,
      detail: `client ${client} is in an allowed network`,
      effect: 'allow',
    });
  }
  if (reasons.has('sender')) {
    const addresses = identities.map((identity) => identity.mailbox.address).join(', ');
    findings.push({
      name: 'SENDER_ALLOWLISTED',
      object: 'header:From',
      score: 0,
      detail: `senders ${addresses} are allowed`,
      effect: 'allow',
    });
  }
  return findings;
}

/**
 * Applies policy.antispam's sender and network lists, global and per recipient domain. A
 * block-list match on any sender identity or on the client address, in the global lists or
 * in those of any recipient domain, blacklists the message. The sender allow list applies
 * only when every identity (the envelope sender, when not null, and each From mailbox)
 * matches it, so a forged From alone or an envelope sender alone cannot make a message
 * clean. The network allow list applies to the client address. A message is allowed only
 * when the lists of every recipient domain (its own plus the global ones) allow it, because
 * one verdict covers all recipients.
 */
export const senderListsCheck: Check = {
  name: 'sender_lists',
  run(message, context): Finding[] {
    const lists = compileLists(context.policy);
    const identities = senderIdentities(message, context);
    const client = context.envelope.clientAddress;
    const domains = recipientDomains(context);
    const domainSets = domains.map((domain) => lists.byDomain.get(domain));
    const sets = [lists.global, ...domainSets.filter((set) => set !== undefined)];
    const blocked = blockFinding(sets, identities, client);
    if (blocked.length > 0) return blocked;
    const scopes =
      domains.length === 0
        ? [[lists.global]]
        : domainSets.map((set) => (set === undefined ? [lists.global] : [lists.global, set]));
    const reasons = new Set(scopes.map((scope) => allowReason(scope, identities, client)));
    if (reasons.has(undefined)) return [];
    return allowFindings(reasons, identities, client);
  },
};
