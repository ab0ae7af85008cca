import type { AntispamPolicy } from '@mailshield/proto/policy';
import { parsePath, type Mailbox } from '../address.js';
import { compileNetworks, type NetworkList } from '../networks.js';

/** One allow or block list entry: a whole address, or a domain ("example.org", "@example.org"). */
export type ListEntry = { kind: 'address'; address: string } | { kind: 'domain'; domain: string };

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

function parseEntries(texts: readonly string[]): ListEntry[] {
  return texts.map(parseEntry).filter((entry) => entry !== undefined);
}

/** True when the mailbox is on the list, by whole address or by domain. */
export function isListed(entries: ListEntry[], mailbox: Mailbox): boolean {
  const address = mailbox.address.toLowerCase();
  return entries.some((entry) =>
    entry.kind === 'domain' ? entry.domain === mailbox.domain : entry.address === address,
  );
}

/** The four lists of one scope: the global lists, or those of one recipient domain. */
export interface ListSet {
  /** "global lists" or "lists of recipient domain example.com", for finding details. */
  scope: string;
  senderAllow: ListEntry[];
  senderBlock: ListEntry[];
  networkAllow: NetworkList;
  networkBlock: NetworkList;
}

export interface CompiledLists {
  global: ListSet;
  /** Lists of each recipient domain that has its own, by lower-case domain. */
  byDomain: Map<string, ListSet>;
}

interface ListTexts {
  senderAllowlist: string[];
  senderBlocklist: string[];
  networkAllowlist: string[];
  networkBlocklist: string[];
}

function compileSet(scope: string, lists: ListTexts): ListSet {
  return {
    scope,
    senderAllow: parseEntries(lists.senderAllowlist),
    senderBlock: parseEntries(lists.senderBlocklist),
    networkAllow: compileNetworks(lists.networkAllowlist),
    networkBlock: compileNetworks(lists.networkBlocklist),
  };
}

// A policy object lives as long as it is in force and is shared by every message, so the
// lists are parsed once per policy instead of once per message.
const compiled = new WeakMap<AntispamPolicy, CompiledLists>();

/** Parses the policy's lists, caching the result for as long as the policy object lives. */
export function compileLists(policy: AntispamPolicy): CompiledLists {
  const cached = compiled.get(policy);
  if (cached !== undefined) return cached;
  const byDomain = new Map<string, ListSet>();
  for (const lists of policy.recipientDomainLists) {
    const domain = lists.domain.trim().toLowerCase().replace(/\.$/, '');
    byDomain.set(domain, compileSet(`lists of recipient domain ${domain}`, lists));
  }
  const result = { global: compileSet('global lists', policy), byDomain };
  compiled.set(policy, result);
  return result;
}
