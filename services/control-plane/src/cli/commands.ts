import { userInfo, hostname } from 'node:os';
import { BackupEntry, BackupSummary } from '@mailshield/proto/backup';
import { StatusResponse } from '@mailshield/proto/integrity';
import { Policy } from '@mailshield/proto/policy';
import { stageToJSON } from '@mailshield/proto/message';
import { UsageError, type CommandSpec } from './args.js';
import type { ControlPlaneClients } from './client.js';
import { formatKeyValues, formatTable, formatTime, truncate } from './format.js';
import { readPolicyFile } from './policy-file.js';
import { runTrain, trainSpec } from './train-command.js';

/** Context of one command run: its clients, its parsed options and its output streams. */
export interface CommandContext {
  clients: ControlPlaneClients;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  isJson: boolean;
  print(text: string): void;
  write(data: Uint8Array): void;
}

export interface Command extends CommandSpec {
  run(context: CommandContext): Promise<void>;
}

const actorOption = {
  type: 'string' as const,
  valueName: 'NAME',
  description: 'who makes the change, for the audit trail (default user@host)',
};

export const commands: Command[] = [
  {
    path: ['status'],
    summary: 'Show the health and policy version of every component.',
    positionals: [],
    options: {},
    run: runStatus,
  },
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
  {
    path: ['backup', 'list'],
    summary: 'List backed-up messages, newest first.',
    positionals: [],
    options: {
      status: {
        type: 'string',
        valueName: 'STATUS',
        description: 'only entries with this status, such as infected or spam',
      },
      limit: { type: 'string', valueName: 'N', description: 'at most N entries (default 50)' },
      'page-token': {
        type: 'string',
        valueName: 'TOKEN',
        description: 'continue after a previous page',
      },
    },
    run: runBackupList,
  },
  {
    path: ['backup', 'show'],
    summary: 'Show one backed-up message.',
    positionals: [{ name: 'ID', description: 'message id' }],
    options: { raw: { type: 'boolean', description: 'print the original message bytes only' } },
    run: runBackupShow,
  },
  {
    path: ['backup', 'release'],
    summary: 'Send a backed-up message on to delivery.',
    positionals: [{ name: 'ID', description: 'message id' }],
    options: {
      to: {
        type: 'string',
        valueName: 'ADDR,...',
        description: 'deliver to these addresses instead of the original recipients',
      },
      'not-spam': {
        type: 'boolean',
        description: 'also teach the antispam classifier that the message is ham',
      },
      actor: actorOption,
    },
    run: runBackupRelease,
  },
  { ...trainSpec, run: runTrain },
];

async function runStatus(context: CommandContext): Promise<void> {
  const { clients } = context;
  const status = await clients.call(clients.integrity, clients.integrity.status, {});
  if (context.isJson) return context.print(JSON.stringify(StatusResponse.toJSON(status), null, 2));
  const rows = status.components.map((component) => [
    component.name,
    component.health,
    formatTime(component.since),
    component.policyVersion === 0 ? '-' : String(component.policyVersion),
    component.address,
    truncate(component.detail, 60),
  ]);
  context.print(`policy version: ${status.policyVersion}\n`);
  context.print(formatTable(['COMPONENT', 'HEALTH', 'SINCE', 'POLICY', 'ADDRESS', 'DETAIL'], rows));
}

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

async function runBackupList(context: CommandContext): Promise<void> {
  const { clients, values } = context;
  const request = {
    limit: parseCount(values['limit'], '--limit', 'backup list') ?? 0,
    pageToken: typeof values['page-token'] === 'string' ? values['page-token'] : '',
    status: typeof values['status'] === 'string' ? values['status'] : '',
  };
  const page = await clients.call(clients.backup, clients.backup.list, request);
  if (context.isJson) {
    const entries = page.entries.map((entry) => BackupSummary.toJSON(entry));
    return context.print(JSON.stringify({ entries, nextPageToken: page.nextPageToken }, null, 2));
  }
  const rows = page.entries.map((entry) => [
    entry.id,
    formatTime(entry.storedAt),
    entry.status,
    entry.action,
    truncate(entry.mailFrom || '<>', 30),
    truncate(entry.rcptTo.join(','), 30),
    String(entry.sizeBytes),
    formatTime(entry.releasedAt),
    truncate(entry.subject, 40),
  ]);
  if (rows.length === 0) return context.print('no backed-up messages');
  context.print(
    formatTable(
      ['ID', 'STORED', 'STATUS', 'ACTION', 'FROM', 'TO', 'BYTES', 'RELEASED', 'SUBJECT'],
      rows,
    ),
  );
  if (page.nextPageToken !== '')
    context.print(`\nmore: mailshieldctl backup list --page-token ${page.nextPageToken}`);
}

async function runBackupShow(context: CommandContext): Promise<void> {
  const { clients } = context;
  const entry = await clients.call(clients.backup, clients.backup.get, {
    id: context.positionals[0]!,
  });
  if (context.values['raw'] === true) return context.write(entry.record?.raw ?? Buffer.alloc(0));
  if (context.isJson) return context.print(JSON.stringify(BackupEntry.toJSON(entry), null, 2));
  context.print(formatKeyValues(BackupSummary.toJSON(entry.summary!)));
  // The outcome that caused the backup comes last: it says why the message was removed.
  const acting = entry.outcome === undefined ? [] : [entry.outcome];
  const outcomes = [...(entry.record?.outcomes ?? []), ...acting].map((outcome) => [
    stageToJSON(outcome.stage),
    outcome.scanner,
    outcome.status,
    outcome.action,
    outcome.reason,
    outcome.findings.map((finding) => `${finding.name} (${finding.object})`).join(', '),
  ]);
  context.print(
    `\n${formatTable(['STAGE', 'SCANNER', 'STATUS', 'ACTION', 'REASON', 'FINDINGS'], outcomes)}`,
  );
}

async function runBackupRelease(context: CommandContext): Promise<void> {
  const { clients, values } = context;
  const to = typeof values['to'] === 'string' ? values['to'] : '';
  const recipients = to
    .split(',')
    .map((address) => address.trim())
    .filter((address) => address !== '');
  const request = {
    id: context.positionals[0]!,
    recipients,
    actor: actorOf(values),
    notSpam: values['not-spam'] === true,
  };
  const response = await clients.call(clients.backup, clients.backup.release, request);
  if (context.isJson) {
    const json = { id: request.id, releasedAt: response.releasedAt, learned: response.learned };
    return context.print(JSON.stringify(json, null, 2));
  }
  const target = recipients.length === 0 ? 'the original recipients' : recipients.join(', ');
  const learned = response.learned ? ', and taught the antispam that it is ham' : '';
  context.print(
    `released ${request.id} to ${target} at ${formatTime(response.releasedAt)}${learned}`,
  );
}

function actorOf(values: CommandContext['values']): string {
  return typeof values['actor'] === 'string'
    ? values['actor']
    : `${userInfo().username}@${hostname()}`;
}

function parseCount(
  value: string | boolean | undefined,
  option: string,
  command: string,
): number | undefined {
  if (typeof value !== 'string') return undefined;
  if (!/^\d{1,15}$/.test(value))
    throw new UsageError(`${option} must be a whole number, not "${value}"`, command);
  return Number(value);
}
