import { parsePath, type Mailbox } from '../address.js';
import type { Check, CheckContext, Finding, ParsedMessage } from '../types.js';

/** One allow or block list entry: a whole address, or a domain ("example.org", "@example.org"). */
type ListEntry = { kind: 'address'; address: string } | { kind: 'domain'; domain: string };

function parseEntry(text: string): ListEntry | undefined {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === '') return undefined;
  if (trimmed.startsWith('@'))
    return { kind: 'domain', domain: trimmed.slice(1).replace(/\.$/, '') };
  if (!trimmed.includes('@')) return { kind: 'domain', domain: trimmed.replace(/\.$/, '') };
  const mailbox = parsePath(trimmed);
  return mailbox === undefined
    ? undefined
    : { kind: 'address', address: mailbox.address.toLowerCase() };
}

function matches(entries: ListEntry[], mailbox: Mailbox): boolean {
  const address = mailbox.address.toLowerCase();
  return entries.some((entry) =>
    entry.kind === 'domain' ? entry.domain === mailbox.domain : entry.address === address,
  );
}

/** The sender identities the lists apply to: the envelope sender and every From mailbox. */
function senderIdentities(
  message: ParsedMessage,
  context: CheckContext,
): { object: string; mailbox: Mailbox }[] {
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

/**
 * Applies policy.antispam's sender lists. A block-list match on any sender identity
 * blacklists the message. The allow list applies only when every identity (the envelope
 * sender, when not null, and each From mailbox) matches it, so a forged From alone or an
 * envelope sender alone cannot make a message clean.
 */
export const senderListsCheck: Check = {
  name: 'sender_lists',
  run(message, context): Finding[] {
    const allow = context.policy.senderAllowlist
      .map(parseEntry)
      .filter((entry) => entry !== undefined);
    const block = context.policy.senderBlocklist
      .map(parseEntry)
      .filter((entry) => entry !== undefined);
    const identities = senderIdentities(message, context);
    const blocked = identities.find((identity) => matches(block, identity.mailbox));
    if (blocked !== undefined) {
      const detail = `sender ${blocked.mailbox.address} is on the block list`;
      return [
        { name: 'SENDER_BLOCKLISTED', object: blocked.object, score: 0, detail, effect: 'block' },
      ];
    }
    const hasFrom = message.from.length > 0;
    if (!hasFrom || !identities.every((identity) => matches(allow, identity.mailbox))) return [];
    const addresses = identities.map((identity) => identity.mailbox.address).join(', ');
    return [
      {
        name: 'SENDER_ALLOWLISTED',
        object: 'header:From',
        score: 0,
        detail: `senders ${addresses} are allowed`,
        effect: 'allow',
      },
    ];
  },
};
