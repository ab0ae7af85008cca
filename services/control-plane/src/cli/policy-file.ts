import { readFile } from 'node:fs/promises';
import { Policy } from '@mailshield/proto/policy';

/** Field names of the proto JSON form of Policy, by section; both spellings are accepted. */
const knownFields: Record<string, string[]> = {
  '': [
    'version',
    'queueMode',
    'relayDomains',
    'trustedNetworks',
    'maxMessageBytes',
    'beforeQueueTimeoutSeconds',
    'antivirus',
    'antispam',
  ],
  antivirus: ['onInfected', 'onProtected', 'onCorrupted', 'onUnscanned', 'scanTimeoutSeconds'],
  antispam: [
    'spamThreshold',
    'probableSpamThreshold',
    'onSpam',
    'onProbableSpam',
    'onBlacklisted',
    'onMassMailing',
    'subjectTag',
    'senderAllowlist',
    'senderBlocklist',
  ],
};

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
  const problems = unknownFields(value as Record<string, unknown>, '');
  if (problems.length > 0)
    throw new PolicyFileError(`${path} has fields that a policy does not have`, problems);
  return Policy.fromJSON(value);
}

function unknownFields(object: Record<string, unknown>, section: string): string[] {
  const known = knownFields[section]!;
  const problems: string[] = [];
  for (const [key, child] of Object.entries(object)) {
    const camel = key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
    const path = section === '' ? camel : `${section}.${camel}`;
    if (!known.includes(camel)) {
      problems.push(`${path}: unknown field; expected one of ${known.join(', ')}`);
    } else if (
      camel in knownFields &&
      child !== null &&
      typeof child === 'object' &&
      !Array.isArray(child)
    ) {
      problems.push(...unknownFields(child as Record<string, unknown>, camel));
    }
  }
  return problems;
}
