import { readFile } from 'node:fs/promises';
import {
  clientChannelOptions,
  formatHostPort,
  insecureCredentials,
  parseHostPort,
} from '@mailshield/common';
import { AntispamClient, type TrainResponse } from '@mailshield/proto/antispam';
import { Label } from '@mailshield/proto/learning';
import { UsageError, type CommandSpec } from './args.js';
import { actorOf, actorOption, type CommandContext } from './command-context.js';
import { formatTable } from './format.js';

const COMMAND = 'train';

/** One taught message, as printed. */
interface TrainResult {
  source: string;
  id: string;
  label: 'spam' | 'ham';
  changed: boolean;
  tokenCount: number;
  version: number;
}

export const trainSpec: CommandSpec = {
  path: [COMMAND],
  summary:
    'Teach the antispam Bayes classifier messages as spam or ham: .eml files, or one message stored in Backup.',
  positionals: [
    {
      name: 'FILE...',
      description: 'messages in RFC 5322 form (.eml); each is learned under its SHA-256',
      repeated: true,
    },
  ],
  options: {
    spam: { type: 'boolean', description: 'learn the messages as spam' },
    ham: { type: 'boolean', description: 'learn the messages as ham (not spam)' },
    backup: {
      type: 'string',
      valueName: 'ID',
      description: 'learn the message stored in Backup under ID, instead of files',
    },
    antispam: {
      type: 'string',
      valueName: 'HOST:PORT',
      description:
        'antispam gRPC address (default: the "antispam" component of "mailshieldctl status")',
    },
    actor: {
      ...actorOption,
      description: 'who teaches the messages, for the audit trail (default user@host)',
    },
  },
};

function labelOf(values: CommandContext['values']): Label {
  const isSpam = values['spam'] === true;
  const isHam = values['ham'] === true;
  if (isSpam === isHam)
    throw new UsageError('"train" needs exactly one of --spam and --ham', COMMAND);
  return isSpam ? Label.LABEL_SPAM : Label.LABEL_HAM;
}

function checkSources(context: CommandContext): void {
  const hasBackup = typeof context.values['backup'] === 'string';
  if (hasBackup && context.positionals.length > 0)
    throw new UsageError('"train" takes either FILE arguments or --backup ID, not both', COMMAND);
  if (!hasBackup && context.positionals.length === 0)
    throw new UsageError('"train" needs at least one FILE or --backup ID', COMMAND);
}

/** Yields the messages to teach as [source, id, raw]. The id is empty for files. */
async function* messagesOf(context: CommandContext): AsyncGenerator<[string, string, Buffer]> {
  const { clients, values, positionals } = context;
  const backupId = values['backup'];
  if (typeof backupId === 'string') {
    const entry = await clients.call(clients.backup, clients.backup.get, {
      id: backupId,
      actor: actorOf(values),
    });
    yield [`backup:${backupId}`, backupId, Buffer.from(entry.record?.raw ?? Buffer.alloc(0))];
    return;
  }
  for (const file of positionals) {
    let raw: Buffer;
    try {
      raw = await readFile(file);
    } catch (err) {
      throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
    yield [file, '', raw];
  }
}

/** Returns the antispam address from --antispam, else from the control plane's component list. */
async function antispamAddress(context: CommandContext): Promise<string> {
  const option = context.values['antispam'];
  if (typeof option === 'string') {
    if (parseHostPort(option) === undefined)
      throw new UsageError(`--antispam must be host:port, not "${option}"`, COMMAND);
    return option;
  }
  const { clients } = context;
  const status = await clients.call(clients.integrity, clients.integrity.status, {});
  const component = status.components.find((candidate) => candidate.name === 'antispam');
  if (component === undefined) {
    throw new UsageError(
      'the control plane lists no "antispam" component; pass --antispam HOST:PORT',
      COMMAND,
    );
  }
  const address = parseHostPort(component.address);
  return address === undefined ? component.address : formatHostPort(address);
}

/**
 * Sends each message to Antispam.Train, one after the other. The first failure stops the
 * command. Messages taught before it stay learned, and teaching them again changes nothing.
 */
export async function runTrain(context: CommandContext): Promise<void> {
  const label = labelOf(context.values);
  const actor = actorOf(context.values);
  checkSources(context);
  const messages = messagesOf(context);
  const address = await antispamAddress(context);
  const antispam = new AntispamClient(address, insecureCredentials, clientChannelOptions);
  const results: TrainResult[] = [];
  try {
    for await (const [source, id, raw] of messages) {
      const response: TrainResponse = await context.clients.call(antispam, antispam.train, {
        id,
        raw,
        label,
        actor,
      });
      results.push({
        source,
        id: response.id,
        label: label === Label.LABEL_SPAM ? 'spam' : 'ham',
        changed: response.changed,
        tokenCount: response.tokenCount,
        version: response.version,
      });
    }
  } finally {
    antispam.close();
  }
  printResults(context, results);
}

function printResults(context: CommandContext, results: TrainResult[]): void {
  if (context.isJson) return context.print(JSON.stringify({ results }, null, 2));
  const rows = results.map((result) => [
    result.source,
    result.label,
    result.changed ? 'learned' : 'unchanged',
    String(result.tokenCount),
    String(result.version),
    result.id,
  ]);
  context.print(formatTable(['SOURCE', 'LABEL', 'RESULT', 'TOKENS', 'VERSION', 'ID'], rows));
}
