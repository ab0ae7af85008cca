import { AuditEntry } from '@mailshield/proto/audit';
import { parseCount, stringOption, type Command, type CommandContext } from './command-context.js';
import { formatTable, formatTime, truncate, withFalseBooleans } from './format.js';

export const auditCommands: Command[] = [
  {
    path: ['audit', 'list'],
    summary:
      'List audit log entries, newest first: who released, viewed, downloaded or deleted a ' +
      'backed-up message, changed the policy or trained the antispam.',
    positionals: [],
    options: {
      target: {
        type: 'string',
        valueName: 'TARGET',
        description: 'only entries for this object: a message id, or "policy"',
      },
      actor: {
        type: 'string',
        valueName: 'NAME',
        description: 'only entries made by this actor, such as alice@host',
      },
      limit: {
        type: 'string',
        valueName: 'N',
        description: 'at most N entries (default 50, at most 1000)',
      },
    },
    run: runAuditList,
  },
];

async function runAuditList(context: CommandContext): Promise<void> {
  const { clients, values } = context;
  const response = await clients.call(clients.audit, clients.audit.list, {
    target: stringOption(values, 'target'),
    actor: stringOption(values, 'actor'),
    limit: parseCount(values['limit'], '--limit', 'audit list') ?? 0,
  });
  if (context.isJson) {
    const entries = response.entries.map((entry) =>
      withFalseBooleans(AuditEntry.toJSON(entry), entry),
    );
    return context.print(JSON.stringify({ entries }, null, 2));
  }
  if (response.entries.length === 0) return context.print('no audit entries');
  const rows = response.entries.map((entry) => [
    formatTime(entry.at),
    truncate(entry.actor, 30),
    entry.action,
    truncate(entry.target, 40),
    truncate(entry.detail, 60),
  ]);
  context.print(formatTable(['TIME', 'ACTOR', 'ACTION', 'TARGET', 'DETAIL'], rows));
}
