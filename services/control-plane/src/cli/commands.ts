import { auditCommands } from './audit-commands.js';
import { backupCommands } from './backup-commands.js';
import type { Command } from './command-context.js';
import { policyCommands } from './policy-commands.js';
import { selfTestCommand } from './self-test-command.js';
import { statusCommands } from './status-commands.js';
import { runTrain, trainSpec } from './train-command.js';

export type { Command, CommandContext } from './command-context.js';

/** Every command, in the order the overview help lists them. */
export const commands: Command[] = [
  ...statusCommands,
  ...policyCommands,
  ...backupCommands,
  { ...trainSpec, run: runTrain },
  ...auditCommands,
  selfTestCommand,
];
