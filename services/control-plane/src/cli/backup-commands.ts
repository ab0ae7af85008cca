import { BackupEntry, BackupSummary } from '@mailshield/proto/backup';
import { stageToJSON } from '@mailshield/proto/message';
import {
  actorOf,
  actorOption,
  parseCount,
  type Command,
  type CommandContext,
} from './command-context.js';
import { formatKeyValues, formatTable, formatTime, truncate } from './format.js';

export const backupCommands: Command[] = [
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
];

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
