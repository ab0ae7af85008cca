import { Policy } from '@mailshield/proto/policy';
import { UsageError } from './args.js';
import {
  actorOf,
  actorOption,
  parseCount,
  type Command,
  type CommandContext,
} from './command-context.js';
import { formatKeyValues } from './format.js';
import { readPolicyFile } from './policy-file.js';

export const policyCommands: Command[] = [
  {
    path: ['policy', 'get'],
    summary: 'Show the current policy.',
    positionals: [],
    options: {},
    run: runPolicyGet,
  },
  {
    path: ['policy', 'set'],
    summary: 'Store a new policy from a JSON file (the form that "policy get -o json" prints).',
    positionals: [],
    options: {
      file: {
        type: 'string',
        short: 'f',
        valueName: 'FILE',
        description: 'policy file in proto JSON form (required)',
      },
      'expected-version': {
        type: 'string',
        valueName: 'N',
        description:
          'fail unless N is the current version (default: the "version" field of the file)',
      },
      force: {
        type: 'boolean',
        description: 'store even when the policy changed since the file was written',
      },
      actor: actorOption,
    },
    run: runPolicySet,
  },
];

async function runPolicyGet(context: CommandContext): Promise<void> {
  const { clients } = context;
  const policy = await clients.call(clients.config, clients.config.get, {});
  const json = Policy.toJSON(policy);
  context.print(context.isJson ? JSON.stringify(json, null, 2) : formatKeyValues(json));
}

async function runPolicySet(context: CommandContext): Promise<void> {
  const { clients, values } = context;
  const file = values['file'];
  if (typeof file !== 'string')
    throw new UsageError('"policy set" needs --file FILE', 'policy set');
  const policy = await readPolicyFile(file);
  const expectedVersion =
    values['force'] === true
      ? 0
      : (parseCount(values['expected-version'], '--expected-version', 'policy set') ??
        policy.version);
  const request = { policy, expectedVersion, actor: actorOf(values) };
  const stored = await clients.call(clients.config, clients.config.set, request);
  if (context.isJson) return context.print(JSON.stringify(Policy.toJSON(stored), null, 2));
  context.print(`policy stored as version ${stored.version}`);
}
