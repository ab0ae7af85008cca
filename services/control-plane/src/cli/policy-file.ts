import { readFile } from 'node:fs/promises';
import { Policy } from '@mailshield/proto/policy';

/**
 * Field names of the proto JSON form of Policy, by message. A field that holds another
 * message (or a list of them) names that message; `null` marks a scalar, a list of scalars or
 * a map, whose keys are not field names.
 */
const knownFields: Record<string, Record<string, string | null>> = {
  Policy: {
    version: null,
    queueMode: null,
    relayDomains: null,
    trustedNetworks: null,
    maxMessageBytes: null,
    beforeQueueTimeoutSeconds: null,
    antivirus: 'AntivirusPolicy',
    antispam: 'AntispamPolicy',
  },
  AntivirusPolicy: {
    scanTimeoutSeconds: null,
    inbound: 'VirusActions',
    outbound: 'VirusActions',
    subjectTags: null,
    limits: 'ScanLimits',
    attachmentRules: 'AttachmentRule',
  },
  VirusActions: fields(
    'onInfected',
    'onProtected',
    'onCorrupted',
    'onEngineError',
    'onLimitExceeded',
  ),
  ScanLimits: fields(
    'maxMessageBytes',
    'maxParts',
    'maxMimeDepth',
    'maxDecodedBytes',
    'maxArchiveDepth',
    'maxExpandedBytes',
    'maxMemberBytes',
    'maxCompressionRatio',
    'maxArchiveEntries',
  ),
  AttachmentRule: fields('name', 'fileTypes', 'namePatterns', 'minBytes', 'action', 'direction'),
  AntispamPolicy: {
    ...fields(
      'spamThreshold',
      'probableSpamThreshold',
      'onSpam',
      'onProbableSpam',
      'onBlacklisted',
      'onMassMailing',
      'subjectTag',
      'senderAllowlist',
      'senderBlocklist',
      'networkAllowlist',
      'networkBlocklist',
      'reportHeader',
    ),
    recipientDomainLists: 'RecipientDomainLists',
    clientBlocklists: 'DnsblZone',
    urlBlocklists: 'DnsblZone',
  },
  RecipientDomainLists: fields(
    'domain',
    'senderAllowlist',
    'senderBlocklist',
    'networkAllowlist',
    'networkBlocklist',
  ),
  DnsblZone: fields('zone', 'score', 'returnCodes'),
};

function fields(...names: string[]): Record<string, null> {
  return Object.fromEntries(names.map((name) => [name, null]));
}

/** A policy file that cannot be used; `problems` name each bad field. */
export class PolicyFileError extends Error {
  override readonly name = 'PolicyFileError';

  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(message);
  }
}

/**
 * Reads a policy in proto JSON form (as `policy get -o json` prints it). Fields the proto
 * does not have are refused, because Policy.fromJSON would silently drop a misspelt one.
 */
export async function readPolicyFile(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PolicyFileError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PolicyFileError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PolicyFileError(`${path} must contain a JSON object with the policy fields`);
  }
  const problems = unknownFields(value as Record<string, unknown>, 'Policy', '');
  if (problems.length > 0)
    throw new PolicyFileError(`${path} has fields that a policy does not have`, problems);
  return Policy.fromJSON(value);
}

function unknownFields(object: Record<string, unknown>, message: string, path: string): string[] {
  const known = knownFields[message]!;
  const problems: string[] = [];
  for (const [key, child] of Object.entries(object)) {
    const camel = key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
    const childPath = path === '' ? camel : `${path}.${camel}`;
    if (!(camel in known)) {
      problems.push(
        `${childPath}: unknown field; expected one of ${Object.keys(known).join(', ')}`,
      );
      continue;
    }
    const childMessage = known[camel];
    if (childMessage === null || childMessage === undefined) continue;
    const items = Array.isArray(child) ? child : [child];
    items.forEach((item, index) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) return;
      const itemPath = Array.isArray(child) ? `${childPath}[${index}]` : childPath;
      problems.push(...unknownFields(item as Record<string, unknown>, childMessage, itemPath));
    });
  }
  return problems;
}
