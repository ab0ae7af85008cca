import { randomBytes } from 'node:crypto';
import { link, lstat, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ServiceError } from '@grpc/grpc-js';
import { BackupSummary, BackupView, type ListBackupsRequest } from '@mailshield/proto/backup';
import { stageToJSON, type StageOutcome } from '@mailshield/proto/message';
import { ErrorCodes } from '../errors.js';
import { escapeUnsafe } from '../text.js';
import { UsageError } from './args.js';
import {
  actorOf,
  actorOption,
  parseCount,
  stringOption,
  type Command,
  type CommandContext,
} from './command-context.js';
import { formatKeyValues, formatTable, formatTime, truncate, withFalseBooleans } from './format.js';
import { parseTimeOption } from './time-option.js';

const idArgument = { name: 'ID', description: 'message id, as backup list shows it' };

const readerOption = {
  ...actorOption,
  description: 'who reads the message, for the audit log (default user@host)',
};

export const backupCommands: Command[] = [
  {
    path: ['backup', 'list'],
    summary:
      'List backed-up messages, newest first. Text filters match a part of the value, ignoring case.',
    positionals: [],
    options: {
      status: {
        type: 'string',
        valueName: 'STATUS',
        description: 'only entries with this status (any case), such as infected, spam or bounced',
      },
      sender: {
        type: 'string',
        valueName: 'TEXT',
        description: 'only entries whose envelope sender contains TEXT',
      },
      recipient: {
        type: 'string',
        valueName: 'TEXT',
        description: 'only entries with an envelope recipient that contains TEXT',
      },
      subject: {
        type: 'string',
        valueName: 'TEXT',
        description: 'only entries whose subject contains TEXT',
      },
      since: {
        type: 'string',
        valueName: 'TIME',
        description:
          'only entries stored at or after TIME: ISO 8601, or a span back such as 24h or 7d',
      },
      until: {
        type: 'string',
        valueName: 'TIME',
        description: 'only entries stored before TIME, in the same forms as --since',
      },
      limit: { type: 'string', valueName: 'N', description: 'at most N entries (default 50)' },
      'page-token': {
        type: 'string',
        valueName: 'TOKEN',
        description: 'continue after a previous page; repeat the same filters',
      },
    },
    run: runBackupList,
  },
  {
    path: ['backup', 'show'],
    summary:
      'Show one backed-up message safely: headers, stage outcomes, attachments and a text preview.',
    positionals: [idArgument],
    options: {
      raw: {
        type: 'boolean',
        description: 'print the original message bytes instead (like download -O -)',
      },
      actor: readerOption,
    },
    run: runBackupShow,
  },
  {
    path: ['backup', 'download'],
    summary: 'Save the original message as an .eml file.',
    positionals: [idArgument],
    options: {
      'output-file': {
        type: 'string',
        short: 'O',
        valueName: 'FILE',
        description: 'file to write (default ID.eml in the current folder; - writes to stdout)',
      },
      force: { type: 'boolean', description: 'overwrite FILE when it exists' },
      actor: readerOption,
    },
    run: runBackupDownload,
  },
  {
    path: ['backup', 'delete'],
    summary: 'Remove a backed-up message for good.',
    positionals: [idArgument],
    options: { actor: actorOption },
    run: runBackupDelete,
  },
  {
    path: ['backup', 'release'],
    summary: 'Send a backed-up message on to delivery.',
    positionals: [idArgument],
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
  const { values } = context;
  const command = 'backup list';
  const request: ListBackupsRequest = {
    limit: parseCount(values['limit'], '--limit', command) ?? 0,
    pageToken: stringOption(values, 'page-token'),
    status: stringOption(values, 'status').toLowerCase(),
    sender: stringOption(values, 'sender'),
    recipient: stringOption(values, 'recipient'),
    subject: stringOption(values, 'subject'),
    storedAfter: parseTimeOption(values['since'], '--since', command),
    storedBefore: parseTimeOption(values['until'], '--until', command),
  };
  if (
    request.storedAfter !== undefined &&
    request.storedBefore !== undefined &&
    request.storedAfter >= request.storedBefore
  ) {
    throw new UsageError(
      `--since (${request.storedAfter.toISOString()}) must be before --until ` +
        `(${request.storedBefore.toISOString()}); a span such as 2h is counted back from now`,
      command,
    );
  }
  const page = await listPage(context, request);
  if (context.isJson) {
    const entries = page.entries.map((entry) =>
      withFalseBooleans(BackupSummary.toJSON(entry), entry),
    );
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
  if (rows.length === 0) {
    // An empty result may come from a misspelled status, so the hint shows how to list the ones in use.
    const hint =
      request.status === ''
        ? ''
        : ` with status "${request.status}"; "backup list" without --status shows the statuses in use`;
    return context.print(`no backed-up messages${hint}`);
  }
  context.print(
    formatTable(
      ['ID', 'STORED', 'STATUS', 'ACTION', 'FROM', 'TO', 'BYTES', 'RELEASED', 'SUBJECT'],
      rows,
    ),
  );
  if (page.nextPageToken !== '')
    context.print(`\nmore: mailshieldctl backup list ${nextPageArgs(request, page.nextPageToken)}`);
}

/** Calls Backup.List, naming --page-token when the server rejects the token. */
async function listPage(context: CommandContext, request: ListBackupsRequest) {
  const { clients } = context;
  try {
    return await clients.call(clients.backup, clients.backup.list, request);
  } catch (err) {
    const code = (err as ServiceError).metadata?.get('mailshield-error-code')[0];
    if (code !== ErrorCodes.pageTokenInvalid) throw err;
    throw new Error(
      '--page-token is invalid: pass the token from the "more:" line of a previous page ' +
        'unchanged, with the same filters',
      { cause: err },
    );
  }
}

/**
 * Options that fetch the next page: the same filters, with relative times given as the
 * absolute times of this page, because the token only fits the filters it was made for.
 */
function nextPageArgs(request: ListBackupsRequest, token: string): string {
  const args: string[] = [];
  const add = (option: string, value: string) => {
    if (value !== '') args.push(option, shellQuote(value));
  };
  add('--status', request.status);
  add('--sender', request.sender);
  add('--recipient', request.recipient);
  add('--subject', request.subject);
  add('--since', request.storedAfter?.toISOString() ?? '');
  add('--until', request.storedBefore?.toISOString() ?? '');
  add('--limit', request.limit === 0 ? '' : String(request.limit));
  add('--page-token', token);
  return args.join(' ');
}

function shellQuote(value: string): string {
  return /^[\w@.:+,=/-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

async function runBackupShow(context: CommandContext): Promise<void> {
  if (context.values['raw'] === true) return downloadTo(context, '-');
  const { clients, values } = context;
  const view = await clients.call(clients.backup, clients.backup.show, {
    id: context.positionals[0]!,
    actor: actorOf(values),
  });
  if (context.isJson) {
    const json = withFalseBooleans(BackupView.toJSON(view), view);
    return context.print(JSON.stringify(json, null, 2));
  }
  context.print(formatKeyValues(BackupSummary.toJSON(view.summary!)));
  context.print(
    `\n${formatTable(
      ['HEADER', 'VALUE'],
      view.headers.map((h) => [h.name, h.value]),
    )}`,
  );
  context.print(`\n${formatOutcomes(view.outcomes)}`);
  if (view.attachments.length > 0) {
    const rows = view.attachments.map((attachment) => [
      attachment.fileName || '-',
      attachment.declaredType || '-',
      attachment.detectedType || '-',
      String(attachment.sizeBytes),
    ]);
    context.print(`\n${formatTable(['ATTACHMENT', 'DECLARED', 'DETECTED', 'BYTES'], rows)}`);
  }
  for (const problem of view.problems) context.print(`\nproblem: ${escapeUnsafe(problem)}`);

  const source = view.previewSource === '' ? 'no text part' : view.previewSource;
  const cut = view.previewTruncated ? ', cut short' : '';
  const preview = escapeUnsafe(view.preview, '\n\t');
  context.print(`\npreview (${escapeUnsafe(source)}${cut}):\n${preview}`);
}

/** Renders outcomes in order, where the last one is the outcome that caused the backup. */
function formatOutcomes(outcomes: StageOutcome[]): string {
  const rows = outcomes.map((outcome) => [
    stageToJSON(outcome.stage),
    outcome.scanner,
    outcome.status,
    outcome.action,
    outcome.reason,
    outcome.findings.map((finding) => `${finding.name} (${finding.object})`).join(', '),
  ]);
  return formatTable(['STAGE', 'SCANNER', 'STATUS', 'ACTION', 'REASON', 'FINDINGS'], rows);
}

async function runBackupDownload(context: CommandContext): Promise<void> {
  const id = context.positionals[0]!;
  const file = stringOption(context.values, 'output-file') || `${id}.eml`;
  await downloadTo(context, file);
}

/**
 * Writes the original message to `file`, or to stdout for '-'; never overwrites without
 * --force. The target is checked before the call, so a write that cannot succeed is neither
 * fetched nor audited as a download.
 */
async function downloadTo(context: CommandContext, file: string): Promise<void> {
  const { clients, values } = context;
  const id = context.positionals[0]!;
  const force = values['force'] === true;
  if (file !== '-') await checkTarget(file, force);
  const response = await clients.call(clients.backup, clients.backup.download, {
    id,
    actor: actorOf(values),
  });
  if (file === '-') return context.write(response.raw);
  await writeAtomically(file, response.raw, force);
  if (context.isJson) {
    return context.print(JSON.stringify({ id, file, sizeBytes: response.raw.length }, null, 2));
  }
  context.print(`saved ${id} to ${file} (${response.raw.length} bytes)`);
}

/** Throws an error saying what to change when `file` cannot be written as a new message file. */
async function checkTarget(file: string, force: boolean): Promise<void> {
  const existing = await lstat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new Error(`cannot check ${file}: ${err.message}`, { cause: err });
  });
  if (existing?.isSymbolicLink() === true) {
    throw new Error(`${file} is a symbolic link; choose another file with -O`);
  }
  if (existing?.isDirectory() === true) {
    throw new Error(
      `${file} is a directory; give a file name with -O, such as ${join(file, 'message.eml')}`,
    );
  }
  if (existing !== undefined && !force) throw fileExistsError(file);
  const folder = dirname(file);
  const parent = await stat(folder).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new Error(`cannot check folder ${folder}: ${err.message}`, { cause: err });
  });
  if (parent?.isDirectory() !== true) {
    throw new Error(`folder ${folder} does not exist; create it or choose another file with -O`);
  }
}

function fileExistsError(file: string, cause?: unknown): Error {
  return new Error(
    `${file} already exists: pass --force to overwrite it, or -O to choose another file`,
    { cause },
  );
}

/**
 * Writes `data` to a temporary file in the target's folder (mode 0600), then moves it into
 * place, so a failed write leaves no partial message behind. Without `force` the move is a
 * hard link, which fails instead of replacing a file created since the check.
 */
async function writeAtomically(file: string, data: Uint8Array, force: boolean): Promise<void> {
  const temporary = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, data, { flag: 'wx', mode: 0o600 });
    if (force) {
      await rename(temporary, file);
    } else {
      // NOTE: a file system without hard links (some FUSE and SMB mounts) fails here.
      // Use --force there.
      await link(temporary, file);
      await rm(temporary);
    }
  } catch (err) {
    await rm(temporary, { force: true });
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw fileExistsError(file, err);
    throw new Error(`writing ${file} failed: ${(err as Error).message}`, { cause: err });
  }
}

async function runBackupDelete(context: CommandContext): Promise<void> {
  const { clients, values } = context;
  const id = context.positionals[0]!;
  const response = await clients.call(clients.backup, clients.backup.delete, {
    id,
    actor: actorOf(values),
  });
  if (context.isJson) {
    return context.print(
      JSON.stringify({ id, deleted: true, sizeBytes: response.sizeBytes }, null, 2),
    );
  }
  context.print(`deleted ${id} (${response.sizeBytes} bytes)`);
}

async function runBackupRelease(context: CommandContext): Promise<void> {
  const { clients, values } = context;
  const recipients = parseRecipients(values['to']);
  const request = {
    id: context.positionals[0]!,
    recipients,
    actor: actorOf(values),
    notSpam: values['not-spam'] === true,
  };
  const response = await clients.call(clients.backup, clients.backup.release, request);
  if (context.isJson) {
    // learned is written out even when false, because scripts test it.
    const json = { id: request.id, releasedAt: response.releasedAt, learned: response.learned };
    return context.print(JSON.stringify(json, null, 2));
  }
  const target = recipients.length === 0 ? 'the original recipients' : recipients.join(', ');
  const learned = response.learned ? ', and taught the antispam that it is ham' : '';
  context.print(
    `released ${request.id} to ${target} at ${formatTime(response.releasedAt)}${learned}`,
  );
}

/** Splits --to into addresses. An empty entry is a usage error, not a silent skip. */
function parseRecipients(to: string | boolean | undefined): string[] {
  if (typeof to !== 'string') return [];
  const recipients = to.split(',').map((address) => address.trim());
  const empty = recipients.indexOf('');
  if (empty >= 0) {
    const where = recipients.length === 1 ? '' : ` (entry ${empty + 1} of ${JSON.stringify(to)})`;
    throw new UsageError(
      `--to has an empty address${where}; give addresses separated by commas, such as a@example.com,b@example.com`,
      'backup release',
    );
  }
  return recipients;
}
