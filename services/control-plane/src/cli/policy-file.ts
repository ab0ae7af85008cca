import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, stringify, type Node } from 'yaml';
import { QueueMode } from '@mailshield/proto/message';
import { Direction, Policy, SpamAction, VirusAction } from '@mailshield/proto/policy';

/** JSON type of one field of the proto JSON form. A `repeated` field contains a list of it. */
type FieldType =
  | { kind: 'message'; message: string; repeated?: boolean }
  | { kind: 'string' | 'number' | 'integer' | 'stringMap'; repeated?: boolean }
  | { kind: 'enum'; names: string[] };

const string: FieldType = { kind: 'string' };
const strings: FieldType = { kind: 'string', repeated: true };
const number: FieldType = { kind: 'number' };
const integer: FieldType = { kind: 'integer' };
const stringMap: FieldType = { kind: 'stringMap' };
const message = (name: string): FieldType => ({ kind: 'message', message: name });
const messages = (name: string): FieldType => ({ kind: 'message', message: name, repeated: true });

/** Names of a ts-proto enum, without the UNRECOGNIZED value it adds. */
function enumOf(values: Record<string, string | number>): FieldType {
  const names = Object.keys(values).filter((key) => Number.isNaN(Number(key)));
  return { kind: 'enum', names: names.filter((name) => name !== 'UNRECOGNIZED') };
}

const virusAction = enumOf(VirusAction);
const spamAction = enumOf(SpamAction);
const direction = enumOf(Direction);

function virusActionFields(): Record<string, FieldType> {
  const names = ['onInfected', 'onProtected', 'onCorrupted', 'onEngineError', 'onLimitExceeded'];
  return Object.fromEntries(names.map((name) => [name, virusAction]));
}

/** Fields of AntispamOverride, which AntispamPolicy has too, in the same order. */
const antispamOverrideFields: Record<string, FieldType> = {
  spamThreshold: number,
  probableSpamThreshold: number,
  onSpam: spamAction,
  onProbableSpam: spamAction,
  onBlacklisted: spamAction,
  onMassMailing: spamAction,
  subjectTag: string,
  senderAllowlist: strings,
  senderBlocklist: strings,
  networkAllowlist: strings,
  networkBlocklist: strings,
};

/**
 * Fields of the proto JSON form of Policy, by message. It is kept by hand next to
 * policy.proto, so a field added there must be added here, or policy files that set it are
 * rejected.
 */
const knownFields: Record<string, Record<string, FieldType>> = {
  Policy: {
    version: integer,
    queueMode: enumOf(QueueMode),
    relayDomains: strings,
    trustedNetworks: strings,
    maxMessageBytes: integer,
    beforeQueueTimeoutSeconds: number,
    antivirus: message('AntivirusPolicy'),
    antispam: message('AntispamPolicy'),
    overrides: messages('PolicyOverride'),
  },
  AntivirusPolicy: {
    scanTimeoutSeconds: number,
    inbound: message('VirusActions'),
    outbound: message('VirusActions'),
    subjectTags: stringMap,
    limits: message('ScanLimits'),
    attachmentRules: messages('AttachmentRule'),
  },
  VirusActions: virusActionFields(),
  ScanLimits: {
    maxMessageBytes: integer,
    maxParts: integer,
    maxMimeDepth: integer,
    maxDecodedBytes: integer,
    maxArchiveDepth: integer,
    maxExpandedBytes: integer,
    maxMemberBytes: integer,
    maxCompressionRatio: number,
    maxArchiveEntries: integer,
  },
  AttachmentRule: {
    name: string,
    fileTypes: strings,
    namePatterns: strings,
    minBytes: integer,
    action: virusAction,
    direction,
  },
  AntispamPolicy: {
    ...antispamOverrideFields,
    recipientDomainLists: messages('RecipientDomainLists'),
    clientBlocklists: messages('DnsblZone'),
    urlBlocklists: messages('DnsblZone'),
    reportHeader: string,
  },
  RecipientDomainLists: {
    domain: string,
    senderAllowlist: strings,
    senderBlocklist: strings,
    networkAllowlist: strings,
    networkBlocklist: strings,
  },
  DnsblZone: { zone: string, score: number, returnCodes: strings },
  PolicyOverride: {
    recipientDomain: string,
    direction,
    antivirus: message('AntivirusOverride'),
    antispam: message('AntispamOverride'),
  },
  AntivirusOverride: {
    inbound: message('VirusActionsOverride'),
    outbound: message('VirusActionsOverride'),
    subjectTags: stringMap,
  },
  VirusActionsOverride: virusActionFields(),
  AntispamOverride: antispamOverrideFields,
};

/** Error for an invalid policy file, with `problems` naming each invalid field and its line. */
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
 * Reads a policy file in YAML or in proto JSON form (as `policy get -o yaml` or `-o json`
 * prints it; YAML 1.2 reads JSON too). Throws PolicyFileError listing, by line and field
 * path, every unknown field, value of the wrong type and unknown enum name, because
 * Policy.fromJSON would silently drop or zero them.
 */
export async function readPolicyFile(path: string): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new PolicyFileError(`reading ${path} failed: ${(err as Error).message}`);
  }
  return parsePolicyText(text, path);
}

/** Parses policy text and throws PolicyFileError, naming the source `name` in errors. */
export function parsePolicyText(text: string, name: string): Policy {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (document.errors.length > 0) {
    const problems = document.errors.map(
      (error) => `line ${lines.linePos(error.pos[0]).line}: ${error.message}`,
    );
    throw new PolicyFileError(`${name} is not valid YAML or JSON`, problems);
  }
  const root = document.contents;
  if (!isMap(root)) {
    throw new PolicyFileError(
      `${name} must contain a mapping (YAML) or object (JSON) of policy fields`,
    );
  }
  const lineOf = (node: Node | null | undefined) =>
    node?.range === undefined || node.range === null ? 0 : lines.linePos(node.range[0]).line;
  const problems = checkMessage(root, 'Policy', '', lineOf);
  if (problems.length > 0) {
    throw new PolicyFileError(
      `${name} has fields that a policy does not have or cannot hold`,
      problems,
    );
  }
  return Policy.fromJSON(document.toJS());
}

/** Prints a policy as YAML in the proto JSON field names, the form `readPolicyFile` reads. */
export function formatPolicyYaml(policy: Policy): string {
  return stringify(Policy.toJSON(policy)).trimEnd();
}

type LineOf = (node: Node | null | undefined) => number;

function checkMessage(node: Node, messageName: string, path: string, lineOf: LineOf): string[] {
  const problems: string[] = [];
  if (!isMap(node)) {
    return [`line ${lineOf(node)}: ${path}: expected a mapping of ${messageName} fields`];
  }
  const known = knownFields[messageName]!;
  for (const pair of node.items) {
    const keyNode = pair.key as Node | null;
    const key = isScalar(keyNode) ? String(keyNode.value) : '';
    const camel = key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
    const childPath = path === '' ? camel : `${path}.${camel}`;
    const type = known[camel];
    if (type === undefined) {
      problems.push(
        `line ${lineOf(keyNode)}: ${childPath}: unknown field; expected one of ${Object.keys(known).join(', ')}`,
      );
      continue;
    }
    const value = pair.value as Node | null;
    problems.push(...checkField(value ?? keyNode, value === null, type, childPath, lineOf));
  }
  return problems;
}

function checkField(
  node: Node | null,
  isEmpty: boolean,
  type: FieldType,
  path: string,
  lineOf: LineOf,
): string[] {
  if (isEmpty || node === null) return [];
  if (isScalar(node) && node.value === null) return [];
  if ('repeated' in type && type.repeated === true) {
    if (!isSeq(node)) return [`line ${lineOf(node)}: ${path}: expected a list`];
    return node.items.flatMap((item, index) =>
      checkValue(item as Node, { ...type, repeated: false }, `${path}[${index}]`, lineOf),
    );
  }
  return checkValue(node, type, path, lineOf);
}

function checkValue(node: Node, type: FieldType, path: string, lineOf: LineOf): string[] {
  const at = `line ${lineOf(node)}: ${path}`;
  switch (type.kind) {
    case 'message':
      return checkMessage(node, type.message, path, lineOf);
    case 'stringMap':
      if (!isMap(node)) return [`${at}: expected a mapping of names to text`];
      return node.items.flatMap((pair) => {
        const value = pair.value as Node | null;
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        return isScalar(value) && typeof value.value === 'string'
          ? []
          : [`line ${lineOf(value ?? (pair.key as Node))}: ${path}.${key}: expected text`];
      });
    case 'enum': {
      const value = isScalar(node) ? node.value : undefined;
      if (typeof value === 'string' && type.names.includes(value)) return [];
      const actual = isScalar(node) ? JSON.stringify(node.value) : 'a list or mapping';
      // An *_UNSPECIFIED name is accepted but not offered: it means "not set", never a choice.
      const offered = type.names.filter((name) => !name.endsWith('_UNSPECIFIED'));
      return [`${at}: ${actual} is not one of ${offered.join(', ')}`];
    }
    default:
      return checkScalar(node, type.kind, at);
  }
}

function checkScalar(node: Node, kind: 'string' | 'number' | 'integer', at: string): string[] {
  const value = isScalar(node) ? node.value : undefined;
  const actual = isScalar(node) ? JSON.stringify(node.value) : 'a list or mapping';
  if (kind === 'string')
    return typeof value === 'string' ? [] : [`${at}: expected text, got ${actual}`];
  // Proto JSON writes 64-bit integers as strings, so digits in quotes count as an integer.
  const numeric =
    typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (typeof numeric !== 'number' || !Number.isFinite(numeric)) {
    return [`${at}: expected a number, got ${actual}`];
  }
  if (kind === 'integer' && !Number.isInteger(numeric)) {
    return [`${at}: expected a whole number, got ${actual}`];
  }
  return [];
}
