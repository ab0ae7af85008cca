import { PolicyHistoryEntry } from '@mailshield/proto/config';
import { Policy } from '@mailshield/proto/policy';
import { UsageError, type OptionSpec } from './args.js';
import {
  actorOf,
  actorOption,
  parseCount,
  type Command,
  type CommandContext,
} from './command-context.js';
import { formatKeyValues, formatTable, formatTime, withFalseBooleans } from './format.js';
import { formatPolicyYaml, readPolicyFile } from './policy-file.js';

const expectedVersionOption: OptionSpec = {
  type: 'string',
  valueName: 'N',
  description:
    'fail unless N (1 or more) is the current version (default: the "version" field of the file)',
};

/** Options of the commands that store a policy file. */
const storeOptions: Record<string, OptionSpec> = {
  file: {
    type: 'string',
    short: 'f',
    valueName: 'FILE',
    description: 'policy file in YAML or proto JSON form (required)',
  },
  'expected-version': expectedVersionOption,
  force: {
    type: 'boolean',
    description: 'store even when the policy changed since the file was written',
  },
  actor: actorOption,
};

export const policyCommands: Command[] = [
  {
    path: ['policy', 'get'],
    summary: 'Show the current policy; "-o yaml" prints the form that "apply -f" reads.',
    positionals: [],
    options: {},
    yamlOutput: true,
    run: runPolicyGet,
  },
  {
    path: ['policy', 'set'],
    summary: 'Store a new policy from a YAML or JSON file (the form that "policy get" prints).',
    positionals: [],
    options: storeOptions,
    run: (context) => runStore(context, 'policy set'),
  },
  {
    path: ['apply'],
    summary: 'Check a YAML or JSON policy file, then store it as the next policy version.',
    positionals: [],
    options: storeOptions,
    run: (context) => runStore(context, 'apply'),
  },
  {
    path: ['policy', 'history'],
    summary: 'List stored policy versions, newest first, with who stored them and when.',
    positionals: [],
    options: {
      limit: {
        type: 'string',
        valueName: 'N',
        description: 'at most N versions, up to 1000 (default 20; 0 also means 20)',
      },
    },
    run: runPolicyHistory,
  },
  {
    path: ['policy', 'rollback'],
    summary: 'Store the content of an earlier version as a new version; history is kept.',
    positionals: [
      { name: 'VERSION', description: 'version to restore, as "policy history" lists' },
    ],
    options: {
      'expected-version': {
        ...expectedVersionOption,
        description: 'fail unless N is the current version (default: no check)',
      },
      actor: actorOption,
    },
    run: runPolicyRollback,
  },
];

async function runPolicyGet(context: CommandContext): Promise<void> {
  const { clients } = context;
  const policy = await clients.call(clients.config, clients.config.get, {});
  if (context.output === 'yaml') return context.print(formatPolicyYaml(policy));
  const json = withFalseBooleans(Policy.toJSON(policy), policy);
  context.print(context.isJson ? JSON.stringify(json, null, 2) : formatKeyValues(json));
}

async function runStore(context: CommandContext, command: string): Promise<void> {
  const { clients, values } = context;
  const file = values['file'];
  if (typeof file !== 'string') throw new UsageError(`"${command}" needs -f FILE`, command);
  const expectedOption = parseCount(values['expected-version'], '--expected-version', command);
  const policy = await readPolicyFile(file);
  let expectedVersion = 0;
  if (values['force'] !== true) {
    expectedVersion = expectedOption ?? policy.version;
    // Without a version the server would store the file over any newer change unchecked.
    if (expectedVersion === 0) throw await missingVersionError(context, file);
  }
  const request = { policy, expectedVersion, actor: actorOf(values) };
  const stored = await clients.call(clients.config, clients.config.set, request);
  printPolicy(context, stored, `policy stored as version ${stored.version}`);
}

async function missingVersionError(context: CommandContext, file: string): Promise<Error> {
  const { clients } = context;
  const current = await clients.call(clients.config, clients.config.get, {});
  return new Error(
    `${file} has no "version" field, so it could overwrite a newer change: add ` +
      `"version: ${current.version}" (the current version, as "policy get" shows) to the file, ` +
      'or pass --force to store it regardless',
  );
}

function printPolicy(context: CommandContext, policy: Policy, message: string): void {
  if (!context.isJson) return context.print(message);
  context.print(JSON.stringify(withFalseBooleans(Policy.toJSON(policy), policy), null, 2));
}

async function runPolicyHistory(context: CommandContext): Promise<void> {
  const { clients, values } = context;
  const limit = parseCount(values['limit'], '--limit', 'policy history', 0) ?? 0;
  const history = await clients.call(clients.config, clients.config.history, { limit });
  if (context.isJson) {
    const entries = history.entries.map((entry) =>
      withFalseBooleans(PolicyHistoryEntry.toJSON(entry), entry),
    );
    return context.print(JSON.stringify({ entries }, null, 2));
  }
  const rows = history.entries.map((entry) => [
    String(entry.version),
    formatTime(entry.storedAt),
    entry.actor,
    entry.summary,
  ]);
  context.print(formatTable(['VERSION', 'STORED', 'ACTOR', 'SUMMARY'], rows));
}

async function runPolicyRollback(context: CommandContext): Promise<void> {
  const { clients, values, positionals } = context;
  const toVersion = parseCount(positionals[0], 'VERSION', 'policy rollback')!;
  const expectedVersion =
    parseCount(values['expected-version'], '--expected-version', 'policy rollback') ?? 0;
  const request = { toVersion, expectedVersion, actor: actorOf(values) };
  const stored = await clients.call(clients.config, clients.config.rollback, request);
  printPolicy(context, stored, `policy version ${toVersion} restored as version ${stored.version}`);
}
