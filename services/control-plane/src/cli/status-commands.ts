import { StatusResponse } from '@mailshield/proto/integrity';
import type { Command, CommandContext } from './command-context.js';
import { formatTable, formatTime, truncate } from './format.js';

export const statusCommands: Command[] = [
  {
    path: ['status'],
    summary: 'Show the health and policy version of every component.',
    positionals: [],
    options: {},
    run: runStatus,
  },
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
