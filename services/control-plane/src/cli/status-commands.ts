import {
  StatusResponse,
  type ComponentStatus,
  type SelfTestResult,
} from '@mailshield/proto/integrity';
import type { Command, CommandContext } from './command-context.js';
import { escapeUnsafe } from '../text.js';
import { formatTable, formatTime, truncate, withFalseBooleans } from './format.js';

export const statusCommands: Command[] = [
  {
    path: ['status'],
    summary:
      'Show the health, dependencies, policy version, restarts and last repair of every ' +
      'component, and which control-plane replica leads.',
    positionals: [],
    options: {},
    run: runStatus,
  },
];

async function runStatus(context: CommandContext): Promise<void> {
  const { clients } = context;
  const status = await clients.call(clients.integrity, clients.integrity.status, {});
  if (context.isJson) {
    const json = withFalseBooleans(StatusResponse.toJSON(status), status);
    return context.print(JSON.stringify(json, null, 2));
  }
  context.print(`policy version: ${status.policyVersion}\n`);
  context.print(`${escapeUnsafe(formatLeader(status))}\n`);
  if (status.lastSelfTest !== undefined)
    context.print(`${escapeUnsafe(formatSelfTest(status.lastSelfTest))}\n`);
  const rows = status.components.map((component) => [
    component.name,
    component.health,
    formatTime(component.since),
    formatPolicy(component),
    formatDependencies(component),
    formatRestarts(component),
    component.address,
    truncate(component.lastAction, 60) || '-',
    truncate(component.detail, 60),
  ]);
  context.print(
    formatTable(
      [
        'COMPONENT',
        'HEALTH',
        'SINCE',
        'POLICY',
        'DEPENDENCIES',
        'RESTARTS',
        'ADDRESS',
        'LAST ACTION',
        'DETAIL',
      ],
      rows,
    ),
  );
}

function formatLeader(status: StatusResponse): string {
  if (status.leader) return `leader: this replica (${status.leaderIdentity})`;
  const holder = status.leaderIdentity === '' ? 'no replica' : status.leaderIdentity;
  return `leader: ${holder}; this replica does not restart components`;
}

/** Formats the self-test as one line: verdict, finish time, and what each failed check got. */
export function formatSelfTest(result: SelfTestResult): string {
  const verdict = result.passed ? 'passed' : 'FAILED';
  const checks = result.checks.map((check) =>
    check.passed ? `${check.name} passed` : `${check.name} failed (got ${check.got})`,
  );
  const detail = result.detail === '' ? '' : `; ${result.detail}`;
  return `last self-test: ${verdict} at ${formatTime(result.finishedAt)}: ${checks.join(', ') || 'no checks'}${detail}`;
}

function formatPolicy(component: ComponentStatus): string {
  if (component.policyVersion === 0) return '-';
  return component.policyLagging
    ? `${component.policyVersion} (lagging)`
    : String(component.policyVersion);
}

function formatDependencies(component: ComponentStatus): string {
  if (component.dependencies.length === 0) return '-';
  return component.dependencies
    .map((dependency) =>
      dependency.health === 'SERVING' ? dependency.name : `${dependency.name}:${dependency.health}`,
    )
    .join(',');
}

function formatRestarts(component: ComponentStatus): string {
  if (component.restartsInWindow === 0) return '0';
  const last = formatTime(component.lastRestartAt);
  // Outside Kubernetes the monitor only reports the restarts it would make.
  if (component.restartsAreDryRun)
    return `${component.restartsInWindow} reported, not in Kubernetes (last ${last})`;
  return `${component.restartsInWindow} (last ${last})`;
}
